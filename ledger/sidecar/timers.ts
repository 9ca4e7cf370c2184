// A timer for an absolute time that may be weeks away. Node fires any delay above 2^31−1 ms
// (about 24.8 days) at once, so long waits are taken in steps and re-measured against the clock
// at each step (a monthly cron is up to 31 days away).

/** Largest delay Node's setTimeout honours, in ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

export interface LongTimerOptions {
  /** Clock, Unix ms (default Date.now). */
  now?: () => number;
  /** Longest single setTimeout, ms (default MAX_TIMER_DELAY_MS; tests use small steps). */
  maxStepMs?: number;
}

/** Calls `callback` once, at or after `atMs`. */
export function setTimerAt(callback: () => void, atMs: number, options: LongTimerOptions = {}): LongTimer {
  const now = options.now ?? Date.now;
  const maxStep = Math.min(options.maxStepMs ?? MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS);
  let handle: NodeJS.Timeout | null = null;
  let cancelled = false;
  // Always asynchronous, even when `atMs` has passed, so callers hold the handle first.
  const arm = () => {
    const delay = Math.min(Math.max(0, atMs - now()), maxStep);
    handle = setTimeout(() => {
      if (cancelled) return;
      if (atMs - now() <= 0) callback();
      else arm();
    }, delay);
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      if (handle !== null) clearTimeout(handle);
    },
  };
}
