import assert from "node:assert/strict";
import { decodeLine, encodeLine, encodeUsageEntry, entryOf, usageLine, type UsageLine } from "./codec";
import type { UsageEntry } from "./sink";

const entry = (patch: Partial<UsageEntry> = {}): UsageEntry => ({
  requestId: "6f1c2e0a-4b7d-4c1e-9a51-0d3b2f8e7c11",
  teamId: "k57abc",
  team: "TeamPda1111111111111111111111111111111111111",
  userId: "alice",
  endpoint: "/api/v1/verify",
  units: 3n,
  cost: 18_446_744_073_709_551_615n,
  timestampMs: 1_763_000_000_123,
  ...patch,
});

describe("usage log line codec", () => {
  it("writes a served request exactly as the generic encoder does, for plain and awkward strings", () => {
    for (const e of [
      entry(),
      entry({ userId: null, units: 1n, cost: 0n }),
      entry({ userId: 'quo"te\\back', endpoint: "/a?b=c&d=\u00e9\u2028" }),
    ]) {
      const fast = encodeUsageEntry(e);
      assert.equal(fast, encodeLine(usageLine(e)));
      const back = decodeLine(fast.slice(0, -1));
      assert.notEqual(back, null);
      assert.deepEqual(entryOf(back as UsageLine), e);
    }
  });

  it("rejects a line whose checksum does not match its JSON", () => {
    const line = encodeUsageEntry(entry()).slice(0, -1);
    assert.equal(decodeLine(line.replace('"n":"3"', '"n":"4"')), null);
    assert.equal(decodeLine(line.slice(0, -5)), null, "a torn line");
  });
});
