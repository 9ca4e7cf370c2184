// When a `crons.ts` entry runs next, for every schedule `cronJobs()` can record: interval,
// hourly, daily, weekly, monthly and cron strings. All calendar times are UTC, as in Convex.
// Times are Unix milliseconds.

export type CronSchedule =
  | { type: "interval"; seconds?: number; minutes?: number; hours?: number }
  | { type: "hourly"; minuteUTC?: number }
  | { type: "daily"; hourUTC: number; minuteUTC?: number }
  | { type: "weekly"; dayOfWeek: string; hourUTC: number; minuteUTC?: number }
  | { type: "monthly"; day: number; hourUTC: number; minuteUTC?: number }
  | { type: "cron"; cron: string };

const DAYS_OF_WEEK = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** A schedule with no run within this many years (e.g. "0 0 30 2 *") is rejected. */
const SEARCH_YEARS = 8;

/** Interval length in ms, or null for calendar schedules. */
export function intervalMs(schedule: CronSchedule): number | null {
  if (schedule.type !== "interval") return null;
  const ms =
    schedule.seconds !== undefined
      ? schedule.seconds * 1000
      : schedule.minutes !== undefined
        ? schedule.minutes * MINUTE_MS
        : schedule.hours !== undefined
          ? schedule.hours * HOUR_MS
          : NaN;
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`invalid interval schedule ${JSON.stringify(schedule)}`);
  return ms;
}

/** The calendar schedule as a 5-field cron expression ("minute hour day-of-month month day-of-week"). */
export function toCronExpression(schedule: CronSchedule): string {
  switch (schedule.type) {
    case "hourly":
      return `${schedule.minuteUTC ?? 0} * * * *`;
    case "daily":
      return `${schedule.minuteUTC ?? 0} ${schedule.hourUTC} * * *`;
    case "weekly": {
      const dow = DAYS_OF_WEEK.indexOf(schedule.dayOfWeek);
      if (dow < 0) throw new Error(`invalid day of week "${schedule.dayOfWeek}"`);
      return `${schedule.minuteUTC ?? 0} ${schedule.hourUTC} * * ${dow}`;
    }
    case "monthly":
      // Months without this day (e.g. the 31st) are skipped, as in Convex.
      return `${schedule.minuteUTC ?? 0} ${schedule.hourUTC} ${schedule.day} * *`;
    case "cron":
      return schedule.cron;
    case "interval":
      throw new Error("an interval schedule has no cron expression");
  }
}

interface ParsedCron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

function parseField(field: string, min: number, max: number, names: string[] = [], nameBase = min): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const named = names.indexOf(token.toLowerCase());
    const n = named >= 0 ? named + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${token}" is out of range ${min}-${max}`);
    return n;
  };
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) throw new Error(`invalid step in "${part}"`);
    let from: number;
    let to: number;
    if (range === "*") {
      [from, to] = [min, max];
    } else if (range.includes("-")) {
      const [a, b] = range.split("-");
      [from, to] = [value(a), value(b)];
      if (from > to) throw new Error(`invalid range "${range}"`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

export function parseCron(expression: string): ParsedCron {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new Error(`cron "${expression}" must have 5 fields: minute hour day-of-month month day-of-week`);
  }
  try {
    const weekdays = parseField(fields[4], 0, 7, DOW_NAMES, 0);
    if (weekdays.delete(7)) weekdays.add(0); // 7 is Sunday too
    return {
      minutes: parseField(fields[0], 0, 59),
      hours: parseField(fields[1], 0, 23),
      days: parseField(fields[2], 1, 31),
      months: parseField(fields[3], 1, 12, MONTH_NAMES, 1),
      weekdays,
      daysRestricted: fields[2] !== "*",
      weekdaysRestricted: fields[4] !== "*",
    };
  } catch (error) {
    throw new Error(`cron "${expression}": ${(error as Error).message}`);
  }
}

function dayMatches(cron: ParsedCron, date: Date): boolean {
  const dom = cron.days.has(date.getUTCDate());
  const dow = cron.weekdays.has(date.getUTCDay());
  // Standard cron: when both fields are restricted, either one matching is enough.
  if (cron.daysRestricted && cron.weekdaysRestricted) return dom || dow;
  if (cron.daysRestricted) return dom;
  if (cron.weekdaysRestricted) return dow;
  return true;
}

/** First minute strictly after `afterMs` that matches the cron expression. */
export function nextCronTime(expression: string, afterMs: number): number {
  const cron = parseCron(expression);
  let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const limit = afterMs + SEARCH_YEARS * 366 * DAY_MS;
  while (t <= limit) {
    const d = new Date(t);
    if (!cron.months.has(d.getUTCMonth() + 1)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    } else if (!dayMatches(cron, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    } else if (!cron.hours.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
    } else if (!cron.minutes.has(d.getUTCMinutes())) {
      t += MINUTE_MS;
    } else {
      return t;
    }
  }
  throw new Error(`cron "${expression}" never fires`);
}

/**
 * Next run strictly after `afterMs`. Interval schedules count from `afterMs` (the previous run,
 * or the driver's start); calendar schedules pick the next matching UTC minute.
 */
export function nextRunTime(schedule: CronSchedule, afterMs: number): number {
  const interval = intervalMs(schedule);
  if (interval !== null) return afterMs + interval;
  return nextCronTime(toCronExpression(schedule), afterMs);
}
