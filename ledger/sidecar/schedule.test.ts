// Next-run times for every schedule crons.ts can hold, in UTC.
import assert from "node:assert/strict";
import { nextCronTime, nextRunTime, parseCron } from "./schedule";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe("cron schedules", function () {
  it("runs a monthly schedule on the given day and UTC time, next month once this one's has passed", function () {
    const monthly = { type: "monthly" as const, day: 1, hourUTC: 0, minuteUTC: 0 };
    assert.equal(iso(nextRunTime(monthly, at("2025-01-15T12:00:00Z"))), "2025-02-01T00:00:00.000Z");
    assert.equal(iso(nextRunTime(monthly, at("2025-12-31T23:59:59Z"))), "2026-01-01T00:00:00.000Z");
    assert.equal(iso(nextRunTime(monthly, at("2025-02-01T00:00:00Z"))), "2025-03-01T00:00:00.000Z", "strictly after");
  });

  it("skips months without the day of a monthly schedule", function () {
    const on31st = { type: "monthly" as const, day: 31, hourUTC: 6 };
    assert.equal(iso(nextRunTime(on31st, at("2025-01-31T07:00:00Z"))), "2025-03-31T06:00:00.000Z");
    const on29th = { type: "monthly" as const, day: 29, hourUTC: 0 };
    assert.equal(iso(nextRunTime(on29th, at("2025-01-30T00:00:00Z"))), "2025-03-29T00:00:00.000Z");
    assert.equal(iso(nextRunTime(on29th, at("2028-01-30T00:00:00Z"))), "2028-02-29T00:00:00.000Z", "leap year");
  });

  it("runs daily, hourly and weekly schedules", function () {
    assert.equal(iso(nextRunTime({ type: "daily", hourUTC: 3, minuteUTC: 30 }, at("2025-05-05T03:30:00Z"))), "2025-05-06T03:30:00.000Z");
    assert.equal(iso(nextRunTime({ type: "daily", hourUTC: 3 }, at("2025-05-05T02:59:00Z"))), "2025-05-05T03:00:00.000Z");
    assert.equal(iso(nextRunTime({ type: "hourly", minuteUTC: 15 }, at("2025-05-05T10:15:00Z"))), "2025-05-05T11:15:00.000Z");
    // 2025-05-05 is a Monday.
    assert.equal(iso(nextRunTime({ type: "weekly", dayOfWeek: "friday", hourUTC: 9 }, at("2025-05-05T00:00:00Z"))), "2025-05-09T09:00:00.000Z");
    assert.throws(() => nextRunTime({ type: "weekly", dayOfWeek: "funday", hourUTC: 9 }, 0), /day of week/);
  });

  it("counts intervals from the previous run", function () {
    assert.equal(nextRunTime({ type: "interval", seconds: 30 }, 1_000), 31_000);
    assert.equal(nextRunTime({ type: "interval", minutes: 2 }, 0), 120_000);
    assert.equal(nextRunTime({ type: "interval", hours: 1 }, 0), 3_600_000);
    assert.throws(() => nextRunTime({ type: "interval" }, 0), /invalid interval/);
  });

  it("understands cron strings: lists, ranges, steps, names and Sunday as 7", function () {
    assert.equal(iso(nextCronTime("*/15 * * * *", at("2025-05-05T10:16:00Z"))), "2025-05-05T10:30:00.000Z");
    assert.equal(iso(nextCronTime("0 9-17/4 * * mon-fri", at("2025-05-03T00:00:00Z"))), "2025-05-05T09:00:00.000Z");
    assert.equal(iso(nextCronTime("0 0 1 jan,jul *", at("2025-02-01T00:00:00Z"))), "2025-07-01T00:00:00.000Z");
    assert.equal(iso(nextCronTime("0 12 * * 7", at("2025-05-05T00:00:00Z"))), "2025-05-11T12:00:00.000Z");
    assert.equal(iso(nextRunTime({ type: "cron", cron: "5 4 * * *" }, at("2025-05-05T04:05:00Z"))), "2025-05-06T04:05:00.000Z");
  });

  it("fires on either a day of the month or a weekday when both are restricted, as cron does", function () {
    // The 13th, or any Friday: after Monday 2025-05-05 the first is Friday the 9th.
    assert.equal(iso(nextCronTime("0 0 13 * fri", at("2025-05-05T00:00:00Z"))), "2025-05-09T00:00:00.000Z");
  });

  it("rejects malformed or impossible cron strings", function () {
    assert.throws(() => parseCron("* * * *"), /must have 5 fields/);
    assert.throws(() => parseCron("60 * * * *"), /out of range/);
    assert.throws(() => parseCron("*/0 * * * *"), /invalid step/);
    assert.throws(() => parseCron("5-1 * * * *"), /invalid range/);
    assert.throws(() => nextCronTime("0 0 30 2 *", 0), /never fires/);
  });
});
