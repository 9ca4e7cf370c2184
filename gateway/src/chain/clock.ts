// The Clock sysvar's unix_timestamp: the chain's clock, by which the program rolls billing periods. Read
// by the settler (its roll decision) and the chain view (the gate's estimate of that clock).

/** Clock sysvar layout: slot, epoch_start_timestamp, epoch, leader_schedule_epoch (8 bytes each), unix_timestamp. */
const UNIX_TIMESTAMP_OFFSET = 32;

/** The unix time (s) in a Clock sysvar account's data; null when there is no account or it is too short. */
export function clockUnixSeconds(account: { readonly data: Buffer } | null | undefined): bigint | null {
  if (!account || account.data.length < UNIX_TIMESTAMP_OFFSET + 8) return null;
  return account.data.readBigInt64LE(UNIX_TIMESTAMP_OFFSET);
}
