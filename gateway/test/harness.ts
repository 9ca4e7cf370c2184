// A gate over in-memory sources with one known key, for adapter and proxy tests.
import { MemoryBalanceSource, type TeamChainState } from "../src/balance/source";
import { createGate, type Gate } from "../src/gate";
import { hashApiKey } from "../src/keys/hash";
import { MemoryKeySource } from "../src/keys/source";
import type { GateOptions } from "../src/options";
import { MemoryUsageSink, type UsageSink } from "../src/usage/sink";
import { teamState } from "./fixtures";

export const TEST_KEY = "pk_test_adapter";
/** The on-chain team address the test key belongs to. */
export const TEST_TEAM = teamState().team;

export interface MemoryGate {
  gate: Gate;
  keys: MemoryKeySource;
  balances: MemoryBalanceSource;
  usage: MemoryUsageSink;
}

export function memoryGate(
  opts: Partial<GateOptions> = {},
  state: Partial<TeamChainState> = {},
  usage: UsageSink = new MemoryUsageSink(),
): MemoryGate {
  const keys = new MemoryKeySource();
  // On real time: the period ends 30 days from now unless the test says otherwise.
  const s = teamState({ periodEnd: Math.floor(Date.now() / 1000) + 2_592_000, ...state });
  keys.set(hashApiKey(TEST_KEY), {
    teamId: "team-1",
    team: s.team,
    vault: s.vault,
    revoked: false,
    members: new Map([["alice", { allocation: null, allocationUsed: 0n }]]),
  });
  const balances = new MemoryBalanceSource();
  balances.set(s);
  const gate = createGate({ keys, balances, usage, ...opts });
  return { gate, keys, balances, usage: usage as MemoryUsageSink };
}

/**
 * A gate over `mem`'s sources from a second, separately loaded copy of the gate and ticket modules: what it
 * throws is an instance of that copy's classes, as when a Next.js app bundles the gateway twice.
 */
export function gateFromAnotherCopy(mem: MemoryGate): Gate {
  const paths = ["../src/gate", "../src/ticket"].map((m) => require.resolve(m));
  const cached = paths.map((p) => require.cache[p]);
  for (const p of paths) delete require.cache[p];
  try {
    const copy = require("../src/gate") as typeof import("../src/gate");
    return copy.createGate({ keys: mem.keys, balances: mem.balances, usage: mem.usage });
  } finally {
    paths.forEach((p, i) => (require.cache[p] = cached[i]));
  }
}
