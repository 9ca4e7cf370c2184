// A batch for the receipt-root tests: entries in the usage log's columns, charged costs that differ from
// the gate's (as repricing makes them), and the SDK's receipt records of the same batch.
import { UNATTRIBUTED_USER_ID } from "../../convex/model/format";
import type { UsageRecord } from "../../sdk/src/receipts";
import { U64_MAX } from "../../sdk/src/constants";
import { EntryList, StringTable } from "../src/usage/entry-columns";
import type { UsageEntry } from "../src/usage/sink";
import type { ReceiptBatch } from "../src/settle/receipt-root";
import { mulberry32 } from "../../tests/support/prng";

export interface FixtureOptions {
  /** Request id of entry i (default: 32 random lowercase hex characters, the gate's form). */
  idOf?: (i: number, random: () => number) => string;
  /** Member of entry i (default: one of three, or unattributed). */
  userOf?: (i: number) => string | null;
  seq?: bigint;
}

export function receiptBatchFixture(team: string, count: number, seed = 7, o: FixtureOptions = {}): { batch: ReceiptBatch; records: UsageRecord[]; entries: UsageEntry[] } {
  const random = mulberry32(seed);
  const hexId = () => Buffer.from(Array.from({ length: 16 }, () => Math.floor(random() * 256))).toString("hex");
  const endpoints = ["/api/v1/verify", "/api/v1/batch/verify", "/v2/search"];
  const users = ["alice", "bob", null, "carol"];
  const t0 = 1_700_000_000_000;
  const entries: UsageEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({
      requestId: o.idOf ? o.idOf(i, random) : hexId(),
      teamId: "team-1",
      team,
      userId: o.userOf ? o.userOf(i) : users[Math.floor(random() * users.length)]!,
      endpoint: endpoints[Math.floor(random() * endpoints.length)]!,
      units: random() < 0.1 ? BigInt(1 + Math.floor(random() * 100)) : 1n,
      cost: 5n,
      // Several records per millisecond (ties broken by id) and some out of order (admitted before
      // an entry appended ahead of them).
      timestampMs: t0 + Math.floor(i / 4) - (random() < 0.05 ? 3 : 0),
    });
  }
  const list = EntryList.of(team, entries, new StringTable());
  const costs = new BigUint64Array(count);
  for (let i = 0; i < count; i++) costs[i] = i % 97 === 5 ? U64_MAX : i % 11 === 0 ? 0n : BigInt(10_000 + (i % 13));
  const seq = o.seq ?? 9n;
  const batch: ReceiptBatch = { team, seq, fields: list.receiptFields(UNATTRIBUTED_USER_ID), costs };
  const records = entries.map((e, i) => ({
    team,
    batchSeq: seq,
    requestId: e.requestId,
    timestampMs: BigInt(e.timestampMs),
    endpoint: e.endpoint,
    userId: e.userId ?? UNATTRIBUTED_USER_ID,
    units: e.units,
    cost: costs[i]!,
  }));
  return { batch, records, entries };
}
