// A whole metering stack over the real program in litesvm: deployment (clock at the real time, so the
// gate's clock and the chain's agree), a ChainBalanceSource reading through the provider's connection,
// a durable usage log in a temp dir, the gate, and the settler sending real transactions.
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Connection } from "@solana/web3.js";
import { initializeDeployment, type Deployment, type DeploymentOptions, type TeamFixture } from "../../tests/support";
import { ChainBalanceSource, type AccountsConnection } from "../src/chain/balance-source";
import { SdkSettlementChain, type SettlementChain } from "../src/chain/settlement-chain";
import { createGate, type Gate } from "../src/gate";
import { hashApiKey } from "../src/keys/hash";
import { MemoryKeySource, type MemberGrant } from "../src/keys/source";
import { MemorySettlementLedger, type SettlementLedger } from "../src/ledger/settlement-ledger";
import type { GateOptions } from "../src/options";
import { Settler, type SettlerOptions } from "../src/settler";
import { UsageLog } from "../src/usage/log";
import { BalanceLeases, type LeaseSource } from "../src/balance/leases";
import { instanceIdOf } from "../src/balance/instance-id";

/** Generous limits so tests measure billing, not the rate limiter. */
export const UNLIMITED = [
  { ratePerSec: 1e6, burst: 1e6 },
  { ratePerSec: 1e6, burst: 1e6 },
  { ratePerSec: 1e6, burst: 1e6 },
];

export interface StackTeam extends TeamFixture {
  key: string;
  teamId: string;
  address: string;
}

/** A connection whose account reads can be switched off, to play an RPC outage. */
export class FlakyConnection implements AccountsConnection {
  down = false;
  constructor(private readonly inner: Connection) {}
  getMultipleAccountsInfoAndContext: Connection["getMultipleAccountsInfoAndContext"] = (...args) => {
    if (this.down) return Promise.reject(new Error("RPC unreachable"));
    return this.inner.getMultipleAccountsInfoAndContext(...args);
  };
}

/** A settlement chain that fails every call while `down`. */
export class FlakyChain implements SettlementChain {
  down = false;
  sends = 0;
  constructor(readonly inner: SettlementChain) {}
  private check(): void {
    if (this.down) throw new Error("RPC unreachable");
  }
  async readTeams(a: readonly string[]) {
    this.check();
    return this.inner.readTeams(a);
  }
  instructions(p: Parameters<SettlementChain["instructions"]>[0]) {
    return this.inner.instructions(p);
  }
  fits(ixs: Parameters<SettlementChain["fits"]>[0]) {
    return this.inner.fits(ixs);
  }
  async send(ixs: Parameters<SettlementChain["send"]>[0]) {
    this.check();
    this.sends += 1;
    return this.inner.send(ixs);
  }
}

export interface Stack {
  d: Deployment;
  dir: string;
  keys: MemoryKeySource;
  balances: ChainBalanceSource;
  connection: FlakyConnection;
  chain: FlakyChain;
  ledger: SettlementLedger;
  log: UsageLog;
  gate: Gate;
  settler: Settler;
  leases: BalanceLeases | null;
  /** Opens a team on chain with a key in the key source. */
  team(o?: { tier?: number; deposit?: bigint; members?: Record<string, MemberGrant> }): Promise<StackTeam>;
  /** Closes the log (as a clean shutdown) and deletes the directory. */
  close(): Promise<void>;
  /** A new log + gate + settler over the same directory, chain and ledger (a restart). */
  restart(): Promise<void>;
  /**
   * Another gateway instance: its own usage log (a new directory), gate and settler, over the same keys,
   * chain and ledger. Closed with the stack.
   */
  instance(): Promise<Instance>;
}

export interface Instance {
  log: UsageLog;
  gate: Gate;
  settler: Settler;
  /** Its balance leases, when the stack leases shares. */
  leases: BalanceLeases | null;
}

let teamCounter = 0;

export async function createStack(
  o: {
    deployment?: Omit<DeploymentOptions, "startTime">;
    gate?: Partial<GateOptions>;
    settler?: Partial<SettlerOptions>;
    ledger?: SettlementLedger;
    dir?: string;
    /**
     * Each instance's shares leased from this source (as a runtime with balanceLeases does), under the id kept
     * in its log's directory. Renewed when the test says (renewSoon), not on a timer.
     */
    leases?: LeaseSource;
    /** This machine's clock as the gate and the chain view read it (unix ms); default Date.now. */
    now?: () => number;
  } = {},
): Promise<Stack> {
  const d = await initializeDeployment({ ...o.deployment, startTime: BigInt(Math.floor(Date.now() / 1000)) });
  const dir = o.dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), "gw-stack-")));
  const keys = new MemoryKeySource();
  const connection = new FlakyConnection(d.provider.connection);
  const balances = new ChainBalanceSource({ connection, programId: d.programId, now: o.now });
  const chain = new FlakyChain(new SdkSettlementChain(d.client, d.billingAuthority));
  const ledger = o.ledger ?? new MemorySettlementLedger();

  const others: (Instance & { dir: string })[] = [];
  const build = async (logDir = dir): Promise<Instance> => {
    const log = await UsageLog.open({ dir: logDir });
    let gate: Gate | null = null;
    const leases = o.leases
      ? new BalanceLeases({ source: o.leases, instance: await instanceIdOf(logDir), floorOf: (team) => gate!.leaseFloorBps(team), spendOf: (team) => gate!.leaseSpend(team), renewMs: 300_000, ttlMs: 600_000 })
      : null;
    gate = createGate({ keys, balances, usage: log, rateLimits: UNLIMITED, ...(o.now ? { now: o.now } : {}), ...o.gate, ...(leases ? { leases } : {}) });
    gate.restore(log);
    const settler = new Settler({
      log,
      gate,
      ledger,
      chain,
      onSettled: (teams) => balances.refresh(teams),
      ...(leases ? { beforeSend: () => leases.renewSoon() } : {}),
      ...o.settler,
    });
    return { log, gate, settler, leases };
  };

  const stack: Stack = {
    d,
    dir,
    keys,
    balances,
    connection,
    chain,
    ledger,
    ...(await build()),
    async team(t = {}) {
      const fixture = await d.createTeam({ tier: t.tier ?? 0, deposit: t.deposit ?? 0n, walletUsdc: 10_000_000_000n });
      const key = `pk_stack_${++teamCounter}_${Math.random().toString(36).slice(2)}`;
      const teamId = `team-${teamCounter}`;
      keys.set(hashApiKey(key), {
        teamId,
        team: fixture.team.toBase58(),
        vault: fixture.vault.toBase58(),
        revoked: false,
        members: new Map(Object.entries(t.members ?? {})),
      });
      return { ...fixture, key, teamId, address: fixture.team.toBase58() };
    },
    async close() {
      for (const i of [stack, ...others]) {
        await i.leases?.stop();
        await i.settler.stop();
        await i.log.close();
      }
      for (const d of [dir, ...others.map((i) => i.dir)]) await fsp.rm(d, { recursive: true, force: true });
    },
    async restart() {
      await stack.leases?.stop();
      await stack.settler.stop();
      await stack.log.close();
      Object.assign(stack, await build());
    },
    async instance() {
      const otherDir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-stack-"));
      const i = { ...(await build(otherDir)), dir: otherDir };
      others.push(i);
      return i;
    },
  };
  return stack;
}

/** Admits and commits `n` requests (in concurrent waves); returns the admissions. */
export async function serve(
  gate: Gate,
  key: string,
  n: number,
  pick: (i: number) => { endpoint: string; userId?: string | null; units?: number } = () => ({ endpoint: "/api/v1/verify" }),
  wave = 200,
) {
  const out = [];
  for (let i = 0; i < n; i += wave) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(wave, n - i) }, async (_, j) => {
        const a = await gate.admit({ key, ...pick(i + j) });
        if (a.ok) await a.ticket!.commit();
        return a;
      }),
    );
    out.push(...batch);
  }
  return out;
}
