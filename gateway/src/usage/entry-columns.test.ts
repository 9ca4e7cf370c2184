import assert from "node:assert/strict";
import { randomRequestId } from "../request-id";
import { EntryList, PendingEntries, StringTable } from "./entry-columns";
import type { UsageEntry } from "./sink";

const U64_MAX = (1n << 64n) - 1n;

function entry(i: number, patch: Partial<UsageEntry> = {}): UsageEntry {
  return {
    requestId: randomRequestId(),
    teamId: "team-id-1",
    team: "TeamA",
    userId: i % 3 === 0 ? null : `user-${i % 5}`,
    endpoint: i % 2 === 0 ? "/v1/verify" : "/v1/batch",
    units: BigInt(1 + (i % 4)),
    cost: BigInt(i) * 1_000n,
    timestampMs: 1_763_800_000_000 + i,
    ...patch,
  };
}

describe("usage entries in columns", () => {
  it("reads back every field of every entry as appended, across growth of the columns", () => {
    const pending = new PendingEntries("TeamA", new StringTable());
    const entries = Array.from({ length: 5_000 }, (_, i) => entry(i));
    for (const e of entries) pending.push(e);
    const list = pending.list();
    assert.equal(list.length, 5_000);
    assert.deepEqual(list.toArray(), entries);
    assert.equal(list.requestId(4_999), entries[4_999]!.requestId);
    assert.equal(list.userId(4), "user-4");
    assert.equal(list.userId(3), null);
    assert.equal(list.cost(7), 7_000n);
  });

  it("keeps request ids of any form, the extremes of u64 and a team id per entry", () => {
    const pending = new PendingEntries("TeamA", new StringTable());
    const odd = [
      entry(0, { requestId: "req-0" }),
      entry(1, { requestId: "ABCDEF0123456789ABCDEF0123456789" }), // upper case: not the compact form
      entry(2, { requestId: "0123456789abcdef0123456789abcdeg" }), // 32 characters, one not hex
      entry(3, { requestId: "é".repeat(32) }),
      entry(4, { units: U64_MAX, cost: U64_MAX, teamId: "team-id-2" }),
      entry(5, { units: 0n, cost: 0n, timestampMs: 0 }),
    ];
    for (const e of odd) pending.push(e);
    assert.deepEqual(pending.list().toArray(), odd);
    // …and after a copy into bigger columns.
    for (let i = 0; i < 600; i++) pending.push(entry(i));
    assert.deepEqual(pending.list().slice(0, odd.length).toArray(), odd);
  });

  it("refuses an amount a u64 column cannot hold, instead of wrapping it", () => {
    const pending = new PendingEntries("TeamA", new StringTable());
    assert.throws(() => pending.push(entry(0, { cost: U64_MAX + 1n })), RangeError);
    assert.throws(() => pending.push(entry(0, { units: -1n })), RangeError);
    assert.equal(pending.length, 0);
  });

  it("hands out lists that never change: taken batches and snapshots survive appends, growth and unshift", () => {
    const pending = new PendingEntries("TeamA", new StringTable());
    const entries = Array.from({ length: 3_000 }, (_, i) => entry(i));
    for (const e of entries.slice(0, 1_000)) pending.push(e);
    const snapshot = pending.list();
    const batch = pending.take(400);
    for (const e of entries.slice(1_000)) pending.push(e); // grows the columns more than once
    assert.deepEqual(snapshot.toArray(), entries.slice(0, 1_000));
    assert.deepEqual(batch.toArray(), entries.slice(0, 400));
    assert.deepEqual(pending.list().toArray(), entries.slice(400));
    pending.unshift(batch); // a batch given back
    assert.deepEqual(pending.list().toArray(), entries);
    assert.deepEqual(batch.toArray(), entries.slice(0, 400));
    assert.deepEqual(snapshot.toArray(), entries.slice(0, 1_000));
  });

  it("sums the pending cost incrementally and starts over after a take or unshift", () => {
    const pending = new PendingEntries("TeamA", new StringTable());
    const sum = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => BigInt(from + k) * 1_000n).reduce((a, b) => a + b, 0n);
    for (let i = 0; i < 100; i++) pending.push(entry(i));
    assert.equal(pending.cost(), sum(0, 100));
    for (let i = 100; i < 150; i++) pending.push(entry(i));
    assert.equal(pending.cost(), sum(0, 150));
    const batch = pending.take(60);
    assert.equal(pending.cost(), sum(60, 150));
    pending.unshift(batch);
    assert.equal(pending.cost(), sum(0, 150));
  });

  it("reads positions only inside the list, and slices as arrays do", () => {
    const pending = new PendingEntries("TeamA", new StringTable());
    const entries = Array.from({ length: 10 }, (_, i) => entry(i));
    for (const e of entries) pending.push(e);
    const list = pending.list().slice(2, 8);
    assert.equal(list.length, 6);
    assert.deepEqual(list.at(0), entries[2]);
    assert.throws(() => list.at(6), RangeError);
    assert.throws(() => list.cost(-1), RangeError);
    assert.deepEqual(list.slice(4, 100).toArray(), entries.slice(6, 8));
    assert.equal(list.slice(5, 2).length, 0);
    assert.throws(() => pending.take(11), RangeError);
    assert.equal(EntryList.empty("TeamA").length, 0);
  });

  it("builds a list of given entries of one team, and refuses another team's", () => {
    const strings = new StringTable();
    const entries = [entry(1), entry(2)];
    assert.deepEqual(EntryList.of("TeamA", entries, strings).toArray(), entries);
    assert.throws(() => EntryList.of("TeamB", entries, strings), /TeamA's, not TeamB's/);
  });
});
