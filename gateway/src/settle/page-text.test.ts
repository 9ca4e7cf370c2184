import assert from "node:assert/strict";
import { encodeUsagePage } from "../../../convex/model/usagePage";
import { randomRequestId } from "../request-id";
import { EntryList, PendingEntries, StringTable } from "../usage/entry-columns";
import type { UsageEntry } from "../usage/sink";
import { RECORDS_PER_PAGE } from "../../../convex/model/usage";
import { pagesOf } from "./batch-pages";
import { PageTextWriter } from "./page-text";

const U64_MAX = (1n << 64n) - 1n;

/** Entry i: fields that change in runs of different lengths (so lines repeat some and not others), timestamps that stay, rise and fall. */
function entry(i: number, patch: Partial<UsageEntry> = {}): UsageEntry {
  const run = (n: number) => Math.floor(i / n);
  return {
    requestId: i % 7 === 0 ? `custom-${i}` : randomRequestId(),
    teamId: "team-id",
    team: "TeamA",
    userId: run(3) % 3 === 0 ? null : `user-${run(3) % 4}`,
    endpoint: run(2) % 2 === 0 ? "/api/v1/verify" : "/api/v1/batch/verify",
    units: BigInt(1 + (run(5) % 9)),
    cost: run(4) % 5 === 0 ? U64_MAX : BigInt(run(4)) * 1_000n,
    timestampMs: i === 1 ? 0 : 1_763_800_000_000 + run(3) * 37 - (i % 10 === 9 ? 20 : 0),
    ...patch,
  };
}

function listOf(entries: UsageEntry[]): EntryList {
  const pending = new PendingEntries("TeamA", new StringTable());
  for (const e of entries) pending.push(e);
  return pending.list();
}

function written(list: EntryList, costs?: bigint[]): string {
  const w = new PageTextWriter(64); // small, so the buffer grows as it goes
  for (let i = 0; i < list.length; i++) w.add(list, i, list.userId(i) ?? "(unattributed)", costs?.[i] ?? list.cost(i));
  return w.text();
}

describe("page text written from the entry columns", () => {
  it("is exactly encodeUsagePage's text for the same records", () => {
    const entries = Array.from({ length: 3_000 }, (_, i) => entry(i));
    const records = entries.map((e) => ({
      requestId: e.requestId,
      timestampMs: e.timestampMs,
      endpoint: e.endpoint,
      userId: e.userId ?? "(unattributed)",
      units: Number(e.units),
      cost: e.cost,
    }));
    assert.equal(written(listOf(entries)), encodeUsagePage(records));
    const costs = entries.map((_, i) => BigInt(i % 3) * 10n); // repriced, as the settler does
    assert.equal(written(listOf(entries), costs), encodeUsagePage(records.map((r, i) => ({ ...r, cost: costs[i]! }))));
    assert.equal(new PageTextWriter().text(), "");
  });

  it("refuses what encodeUsagePage refuses, with its message", () => {
    const refuse = (patch: Partial<UsageEntry>, userId?: string) => {
      const list = listOf([entry(1), entry(2, patch)]);
      const w = new PageTextWriter();
      w.add(list, 0, "u", 1n);
      let err: unknown = null;
      try {
        w.add(list, 1, userId ?? "u", list.cost(1));
      } catch (e) {
        err = e;
      }
      const r = patch;
      let expected: unknown = null;
      try {
        encodeUsagePage([
          { requestId: "a", timestampMs: 1, endpoint: "/e", userId: "u", units: 1, cost: 1n },
          { requestId: r.requestId ?? "b", timestampMs: r.timestampMs ?? 1, endpoint: r.endpoint ?? "/e", userId: userId ?? "u", units: Number(r.units ?? 1n), cost: 1n },
        ]);
      } catch (e) {
        expected = e;
      }
      assert.ok(err instanceof Error && expected instanceof Error, "both refuse");
      assert.equal(err.message, expected.message);
    };
    refuse({ requestId: "has space" });
    refuse({ requestId: "x".repeat(65) });
    refuse({ endpoint: "/é" });
    refuse({}, "");
    refuse({ timestampMs: -1 });
    refuse({ timestampMs: 1.5 });
    refuse({ units: 0n });
    refuse({ units: 1n << 60n });
  });

  it("is the same text again from a batch's receipt fields (batch-pages.ts), page by page, with the same refusals", async () => {
    const entries = Array.from({ length: 5_300 }, (_, i) => entry(i));
    const list = listOf(entries);
    const costs = BigUint64Array.from(entries, (_, i) => BigInt(i % 4) * 7n);
    const pages = await pagesOf({ columns: { fields: list.receiptFields("(unattributed)"), costs } });
    assert.equal(pages.length, Math.ceil(entries.length / RECORDS_PER_PAGE));
    const expected: string[] = [];
    for (let at = 0; at < list.length; at += RECORDS_PER_PAGE) {
      const page = list.slice(at, at + RECORDS_PER_PAGE);
      expected.push(written(page, Array.from(costs.subarray(at, at + RECORDS_PER_PAGE))));
    }
    assert.deepEqual(pages, expected);
    assert.deepEqual(await pagesOf({ pages: ["given"] }), ["given"]);

    const bad = listOf([entry(1), entry(2, { requestId: "has space" })]);
    await assert.rejects(pagesOf({ columns: { fields: bad.receiptFields("u"), costs: new BigUint64Array(2) } }), /usage page line 2: requestId/);
    await assert.rejects(pagesOf({ columns: { fields: bad.receiptFields("u"), costs: new BigUint64Array(1) } }), RangeError);
  });
});
