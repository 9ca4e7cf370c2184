import assert from "node:assert/strict";
import { encodeLine, encodeUsageEntry, frameGroup } from "./codec";
import { GroupBuffer } from "./group-buffer";
import type { UsageEntry } from "./sink";

const entry = (patch: Partial<UsageEntry> = {}): UsageEntry => ({
  requestId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  teamId: "k57abc",
  team: "TeamPda1111111111111111111111111111111111111",
  userId: "alice",
  endpoint: "/api/v1/verify",
  units: 1n,
  cost: 10_000n,
  timestampMs: 1_763_000_000_123,
  ...patch,
});

/** The group GroupBuffer frames for `entries`, and what the string encoders make of them. */
function both(entries: UsageEntry[], initialBytes?: number): { built: string; expected: string } {
  const g = new GroupBuffer(initialBytes);
  for (const e of entries) g.addEntry(e);
  const body = entries.map(encodeUsageEntry).join("");
  return { built: g.frame().toString("utf8"), expected: frameGroup(body, entries.length).toString("utf8") };
}

describe("usage log group buffer", () => {
  it("builds exactly the bytes the line encoder and frameGroup make, for compact and JSON lines alike", () => {
    const entries = [
      entry(),
      entry({ userId: null, units: 25n, cost: 18_446_744_073_709_551_615n, timestampMs: 0 }),
      entry({ cost: 7n, timestampMs: 9 }),
      entry({ cost: 10_000n }), // the cached cost text after another cost
      entry({ endpoint: "/api/v1/with space" }), // not plain: JSON
      entry({ userId: "zoë" }), // not ASCII: JSON, UTF-8
      entry({ userId: "" }),
      entry({ timestampMs: 2 ** 53 }), // beyond a safe integer: JSON
      entry({ requestId: "id\u007f" }),
    ];
    const { built, expected } = both(entries);
    assert.equal(built, expected);
    assert.match(built.split("\n")[4]!, /^j /);
  });

  it("grows past its first allocation and mixes in text lines", () => {
    const g = new GroupBuffer(64);
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const e = entry({ requestId: `r${i}`, timestampMs: 1_763_000_000_000 + i });
      g.addEntry(e);
      lines.push(encodeUsageEntry(e));
      if (i % 100 === 0) {
        const text = encodeLine({ t: "s", team: "T", seq: String(i), sig: null });
        g.addText(text);
        lines.push(text);
      }
    }
    assert.equal(g.lines, lines.length);
    assert.equal(g.frame().toString("utf8"), frameGroup(lines.join(""), lines.length).toString("utf8"));
  });

  it("starts the next group empty after reset", () => {
    const g = new GroupBuffer();
    g.addEntry(entry({ requestId: "first" }));
    g.frame();
    g.reset();
    assert.equal(g.bytes, 0);
    g.addEntry(entry({ requestId: "second" }));
    assert.equal(g.frame().toString("utf8"), frameGroup(encodeUsageEntry(entry({ requestId: "second" })), 1).toString("utf8"));
  });
});
