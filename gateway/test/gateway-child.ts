// Child process for the crash test: a metering proxy (gate + durable usage log) in front of a trivial
// upstream, with the team's chain state handed over by the parent. Prints "listening <port>" and serves
// until it is killed.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryBalanceSource, type TeamChainState } from "../src/balance/source";
import { createGate } from "../src/gate";
import { hashApiKey } from "../src/keys/hash";
import { MemoryKeySource } from "../src/keys/source";
import { parseProxyConfig } from "../src/proxy/config";
import { createMeteringProxy } from "../src/proxy/server";
import { UsageLog } from "../src/usage/log";
import { UNLIMITED } from "./stack";

interface Handover {
  dir: string;
  key: string;
  teamId: string;
  state: Record<string, unknown>;
}

const BIGINT_FIELDS = ["vaultBalance", "unpaidBaseFee", "unpaidOverage", "pendingWithdrawal", "periodRequests", "periodOverageSpend", "spendCap", "lastBatchSeq"];

async function main(): Promise<void> {
  const h = JSON.parse(process.argv[2]!) as Handover;
  const raw = h.state;
  const state = { ...raw } as Record<string, unknown>;
  for (const f of BIGINT_FIELDS) state[f] = BigInt(raw[f] as string);
  state.tiers = (raw.tiers as Record<string, string>[]).map((t) => ({
    monthlyFee: BigInt(t.monthlyFee!),
    includedRequests: BigInt(t.includedRequests!),
    overagePrice: BigInt(t.overagePrice!),
  }));
  const balances = new MemoryBalanceSource();
  balances.set(state as unknown as TeamChainState);
  setInterval(() => balances.touch(state.team as string), 1_000).unref();
  const keys = new MemoryKeySource();
  keys.set(hashApiKey(h.key), { teamId: h.teamId, team: state.team as string, vault: state.vault as string, revoked: false, members: new Map() });
  const log = await UsageLog.open({ dir: h.dir });
  const gate = createGate({ keys, balances, usage: log, rateLimits: UNLIMITED });
  gate.restore(log);

  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end('{"verified":true}'));
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const proxy = createMeteringProxy({
    gate,
    routes: parseProxyConfig({ routes: [{ path: "/api/v1/verify", upstream: upstreamUrl }] }).routes,
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  process.stdout.write(`listening ${(proxy.address() as AddressInfo).port}\n`);
}

void main();
