// Runs `crons.ts` entries on timers: convex-test registers crons but never runs them.
//
// Each entry runs sequentially (a run never overlaps the previous one of the same entry). With
// a state file, the time of each entry's last run survives restarts, and a calendar run missed
// while the process was down (the invoice run on the 1st, say) is made up once at start-up.
import * as fs from "node:fs";
import type { CronEntry } from "./engine";
import { nextRunTime, intervalMs, type CronSchedule } from "./schedule";
import { setTimerAt, type LongTimer, type LongTimerOptions } from "./timers";

export interface CronDriverOptions {
  entries: CronEntry[];
  /** Runs one entry's function; a rejection is reported through `onError` and the entry continues. */
  run(entry: CronEntry): Promise<void>;
  /** JSON file remembering each entry's last scheduled run (Unix ms); none = no catch-up. */
  statePath?: string;
  now?: () => number;
  timer?: LongTimerOptions;
  onRun?(entry: CronEntry, scheduledAtMs: number): void;
  onError?(entry: CronEntry, error: unknown): void;
}

export interface CronDriver {
  /** Next scheduled time per entry name (Unix ms). */
  nextRuns(): Record<string, number>;
  /** Cancels the timers and waits for runs in progress. */
  stop(): Promise<void>;
}

type CronState = Record<string, number>;

function readState(statePath: string | undefined): CronState {
  if (statePath === undefined || !fs.existsSync(statePath)) return {};
  try {
    return JSON.parse(fs.readFileSync(statePath, "utf8")) as CronState;
  } catch {
    return {}; // a torn write of a best-effort file: start without catch-up
  }
}

function writeState(statePath: string | undefined, state: CronState): void {
  if (statePath === undefined) return;
  const tmp = `${statePath}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, statePath);
}

export function startCronDriver(options: CronDriverOptions): CronDriver {
  const now = options.now ?? Date.now;
  const state = readState(options.statePath);
  const next: Record<string, number> = {};
  const timers = new Map<string, LongTimer>();
  const running = new Set<Promise<void>>();
  let stopped = false;
  const startedAt = now();

  const schedule = (entry: CronEntry, atMs: number) => {
    next[entry.name] = atMs;
    timers.set(
      entry.name,
      setTimerAt(() => fire(entry, atMs), atMs, { ...options.timer, now }),
    );
  };

  const fire = (entry: CronEntry, scheduledAtMs: number) => {
    if (stopped) return;
    const run = (async () => {
      options.onRun?.(entry, scheduledAtMs);
      try {
        await options.run(entry);
      } catch (error) {
        options.onError?.(entry, error);
      }
      state[entry.name] = scheduledAtMs;
      writeState(options.statePath, state);
    })();
    running.add(run);
    void run.finally(() => {
      running.delete(run);
      if (stopped) return;
      const sched = entry.schedule as CronSchedule;
      // Intervals count from the scheduled start (a run that overran starts the next at once);
      // calendar runs missed during a long run are skipped, not piled up.
      const after = intervalMs(sched) !== null ? scheduledAtMs : Math.max(scheduledAtMs, now());
      schedule(entry, nextRunTime(sched, after));
    });
  };

  for (const entry of options.entries) {
    const sched = entry.schedule as CronSchedule;
    const last = state[entry.name];
    if (intervalMs(sched) === null && last !== undefined && nextRunTime(sched, last) <= startedAt) {
      schedule(entry, startedAt); // missed while down: once now, then on schedule
    } else {
      schedule(entry, nextRunTime(sched, startedAt));
    }
    if (last === undefined) state[entry.name] = startedAt; // baseline for catch-up after a restart
  }
  writeState(options.statePath, state);

  return {
    nextRuns: () => ({ ...next }),
    async stop() {
      stopped = true;
      for (const timer of timers.values()) timer.cancel();
      await Promise.all(running);
    },
  };
}
