// The SVM's clock. Programs read time from the Clock sysvar (`unix_timestamp`, seconds), which litesvm
// lets tests set directly: this is how the tests cross notice periods and billing periods.
import { Clock, type LiteSVM } from "litesvm";

/** The Clock sysvar's unix timestamp, seconds. */
export function now(svm: LiteSVM): bigint {
  return svm.getClock().unixTimestamp;
}

/** Sets the Clock sysvar's unix timestamp (seconds) and moves to the next slot, as time passing would. */
export function warpTo(svm: LiteSVM, unixTimestamp: bigint): void {
  const c = svm.getClock();
  svm.setClock(new Clock(c.slot + 1n, c.epochStartTimestamp, c.epoch, c.leaderScheduleEpoch, unixTimestamp));
  svm.expireBlockhash();
}

/** Moves the clock `seconds` forward. */
export function advanceClock(svm: LiteSVM, seconds: bigint): bigint {
  const target = now(svm) + seconds;
  warpTo(svm, target);
  return target;
}
