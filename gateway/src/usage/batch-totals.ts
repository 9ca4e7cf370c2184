// Units and cost (gate prices, base units) of a sealed batch, summed once per batch: a batch of 20,000 is read
// at seal, record, send and settle (and by the usage log when it records the batch settled).
import type { SealedBatch } from "./log";

const totalsOf = new WeakMap<SealedBatch, { units: bigint; cost: bigint }>();

export function batchTotals(batch: SealedBatch): { units: bigint; cost: bigint } {
  let t = totalsOf.get(batch);
  if (t === undefined) {
    let units = 0n;
    let cost = 0n;
    const entries = batch.entries;
    for (let i = 0; i < entries.length; i++) {
      units += entries.units(i);
      cost += entries.cost(i);
    }
    t = { units, cost };
    totalsOf.set(batch, t);
  }
  return t;
}
