import assert from "node:assert/strict";
import { healthHttpStatus, healthOf, type HealthSource } from "./health";

const NOW = 1_700_000_000_000;
const BOUND = 15_000; // maxChainStalenessMs

/**
 * A running gateway's health fields: two followed teams (data 1 s and 3 s old, read with the chain's clock
 * 420 and 1,000 ms behind this machine's), and one without an account.
 */
function source(patch: { [K in keyof HealthSource]?: Partial<HealthSource[K]> } = {}): HealthSource {
  const states = new Map<string, { observedAtMs: number; chainClockOffsetMs: number } | null>([
    ["team-a", { observedAtMs: NOW - 1_000, chainClockOffsetMs: -420 }],
    ["team-b", { observedAtMs: NOW - 3_000, chainClockOffsetMs: -1_000 }],
    ["team-c", null],
  ]);
  return {
    gate: { options: { maxChainStalenessMs: BOUND }, keys: { lastBackgroundError: null, ...patch.gate?.keys } },
    log: { state: "open", unsettled: 12, ...patch.log },
    balances: { teams: () => [...states.keys()], peek: (t) => states.get(t), lastError: null, ...patch.balances },
    settler: { lastError: null, ...patch.settler },
    indexer: patch.indexer === null ? null : { lastError: null, ...patch.indexer },
    leases: patch.leases === undefined ? null : { lastError: null, ...patch.leases },
  };
}

describe("gateway health", () => {
  it("is ok with the log open and nothing failing, with the chain data's age and the unsettled count", () => {
    const h = healthOf(source(), NOW);
    assert.deepEqual(h, {
      status: "ok",
      usageLog: "ok",
      keys: "ok",
      chain: { status: "ok", teams: 3, staleTeams: 0, oldestDataMs: 3_000, clockOffsetMs: -420 },
      settlement: { status: "ok", unsettled: 12 },
      indexer: "ok",
      leases: "off",
    });
    assert.equal(healthHttpStatus(h), 200);
  });

  it("is unavailable (503) when the usage log takes no entries", () => {
    for (const state of ["failed", "closed"] as const) {
      const h = healthOf(source({ log: { state } }), NOW);
      assert.equal(h.status, "unavailable");
      assert.equal(h.usageLog, state);
      assert.equal(healthHttpStatus(h), 503);
    }
  });

  it("is degraded (still 200) when chain data is stale or unreadable, or the key source, settlement, the indexer or the leases fail", () => {
    const stale = healthOf(
      source({ balances: { peek: (t) => (t === "team-a" ? { observedAtMs: NOW - BOUND - 1, chainClockOffsetMs: 0 } : { observedAtMs: NOW, chainClockOffsetMs: 600_000 }) } }),
      NOW,
    );
    assert.deepEqual(stale.chain, { status: "stale", teams: 3, staleTeams: 1, oldestDataMs: BOUND + 1, clockOffsetMs: 600_000 }, "the offset of the newest data");
    assert.equal(stale.status, "degraded");
    assert.equal(healthHttpStatus(stale), 200);
    const atBound = healthOf(source({ balances: { peek: () => ({ observedAtMs: NOW - BOUND, chainClockOffsetMs: 0 }) } }), NOW);
    assert.equal(atBound.chain.status, "ok", "the bound itself is not stale, as in the gate");

    const failing = new Error("connect ECONNREFUSED 10.0.0.1:8899");
    assert.equal(healthOf(source({ balances: { lastError: failing } }), NOW).chain.status, "failing");
    assert.deepEqual(healthOf(source({ settler: { lastError: failing } }), NOW).settlement, { status: "failing", unsettled: 12 });
    assert.equal(healthOf(source({ indexer: { lastError: failing } }), NOW).indexer, "failing");
    const keysDown = { gate: { options: { maxChainStalenessMs: BOUND }, keys: { lastBackgroundError: failing } } };
    assert.equal(healthOf(source(keysDown), NOW).keys, "failing");
    assert.equal(healthOf(source({ leases: { lastError: failing } }), NOW).leases, "failing");
    for (const patch of [keysDown, { balances: { lastError: failing } }, { settler: { lastError: failing } }, { indexer: { lastError: failing } }, { leases: { lastError: failing } }]) {
      const h = healthOf(source(patch), NOW);
      assert.equal(h.status, "degraded", JSON.stringify(patch));
      assert.ok(!JSON.stringify(h).includes("ECONNREFUSED"), "no error text in the report");
    }
    // A failed log outranks the rest.
    assert.equal(healthOf(source({ log: { state: "failed" }, settler: { lastError: failing } }), NOW).status, "unavailable");
  });

  it("reports an indexer run elsewhere, leases in use, and no team followed yet", () => {
    const h = healthOf(source({ indexer: null, leases: {}, balances: { teams: () => [] } }), NOW);
    assert.equal(h.indexer, "off");
    assert.equal(h.leases, "ok");
    assert.deepEqual(h.chain, { status: "ok", teams: 0, staleTeams: 0, oldestDataMs: null, clockOffsetMs: null });
    assert.equal(h.status, "ok");
  });
});
