// Balance leases against the embedded ledger (the sidecar running convex/leases.ts): the instances' side
// (balance/leases.ts) and two gates sharing one team on the program in litesvm.
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Keypair } from "@solana/web3.js";
import { DEFAULT_TIERS, USDC } from "../../../sdk/src/constants";
import { api, createLedgerClient, type LedgerClient } from "../../../ledger/client";
import { startSidecarProcess, type SidecarProcess } from "../../../ledger/start-sidecar";
import { BalanceLeases, type LeaseSource } from "../../src/balance/leases";
import { shareNeeded } from "../../src/balance/shares";
import { instanceIdOf } from "../../src/balance/instance-id";
import { LedgerLeaseSource } from "../../src/ledger/lease-source";
import { leasesCommand } from "../../src/proxy/leases-command";
import { startGatewayRuntime } from "../../src/runtime";
import { createStack, serve, UNLIMITED, type Stack } from "../stack";
import { now, warpTo } from "../../../tests/support";

describe("balance leases with the embedded ledger", function () {
  this.timeout(300_000);
  let sidecar: SidecarProcess;
  let dataDir: string;
  let ledger: LedgerClient;
  let source: LeaseSource;
  let s: Stack | undefined;
  const started: BalanceLeases[] = [];

  before(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-leases-"));
    sidecar = await startSidecarProcess({ dataDir, crons: false, fsync: false });
    ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
    source = new LedgerLeaseSource(ledger);
  });
  afterEach(async () => {
    for (const l of started.splice(0)) await l.stop();
    await s?.close();
    s = undefined;
  });
  after(async () => {
    await sidecar?.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  const newTeam = () => Keypair.generate().publicKey.toBase58();
  /** The instances' leases of a team as the ledger holds them, by instance. */
  const held = async (team: string) => new Map((await ledger.server().query(api.leases.list, { team })).map((l) => [l.instance, l.bps]));
  const total = async (team: string) => [...(await held(team)).values()].reduce((a, b) => a + b, 0);
  /** An instance renewed only when the test says (renewSoon); `floors` gives its reservations' floor per team. */
  const instance = (id: string, floors = new Map<string, number>()) => {
    const l = new BalanceLeases({ source, instance: id, floorOf: (team) => floors.get(team) ?? 0, renewMs: 300_000, ttlMs: 600_000 });
    started.push(l);
    return l;
  };

  /** Startup's overage price: every request is paid (no included ones in leasedPair's tiers). */
  const PRICE = DEFAULT_TIERS[0]!.overagePrice;
  /**
   * Two leased gates on the program (the stack's and a second instance) and a team whose base fee is paid up
   * front, leaving exactly `requests` requests' worth, none of them included.
   */
  const leasedPair = async (requests: bigint, o: { periods?: bigint; periodSecs?: bigint; now?: () => number } = {}) => {
    const tiers = [{ ...DEFAULT_TIERS[0]!, includedRequests: 0n }, DEFAULT_TIERS[1]!, DEFAULT_TIERS[2]!];
    const stack = (s = await createStack({ deployment: { config: { tiers, periodSecs: o.periodSecs } }, leases: source, now: o.now }));
    const other = await stack.instance();
    // `periods` base fees (the first charged now) and the requests.
    const t = await stack.team({ deposit: (o.periods ?? 1n) * tiers[0]!.monthlyFee + requests * PRICE });
    await stack.d.client.rollPeriod({ teamOwner: t.owner.publicKey });
    return { stack, other, t };
  };

  it("moves a team's share to the instance its requests reach, in two renewals, never granting more than the whole", async () => {
    const team = newTeam();
    const a = instance("move-a");
    const b = instance("move-b");
    await a.acquire(team);
    assert.equal(a.share(team), 10_000, "a lone instance gets the whole");
    await b.acquire(team);
    assert.equal(b.share(team), 0, "the whole is held");
    assert.equal(await total(team), 10_000);

    // b's requests are refused for want of share (demand); a serves none.
    b.noteDemand(team, 99);
    await b.renewSoon();
    assert.equal(b.share(team), 0, "nothing is free until a gives it up");
    await a.renewSoon();
    assert.ok(a.share(team)! < 200, `a is asked down to its part by demand (1 : 100), got ${a.share(team)}`);
    assert.equal((await held(team)).get("move-a"), 10_000, "still held until a reports that it uses less");
    await a.renewSoon();
    assert.equal((await held(team)).get("move-a"), a.share(team), "freed once reported");
    b.noteDemand(team, 99);
    await b.renewSoon();
    assert.ok(b.share(team)! > 9_800, `b got the freed share, got ${b.share(team)}`);
    assert.ok((await total(team)) <= 10_000);
    assert.equal(a.share(team)! + b.share(team)!, await total(team));
  });

  it("never asks an instance below the share its unsettled reservations need", async () => {
    const team = newTeam();
    const floors = new Map([[team, 8_000]]);
    const a = instance("floor-a", floors);
    const b = instance("floor-b");
    await a.acquire(team);
    await b.acquire(team);
    for (let i = 0; i < 3; i++) {
      b.noteDemand(team, 10_000);
      await a.renewSoon();
      await b.renewSoon();
    }
    assert.equal(a.share(team), 8_000);
    assert.equal(b.share(team), 2_000);
    floors.set(team, 0); // settled
    b.noteDemand(team, 10_000);
    await a.renewSoon();
    await a.renewSoon();
    b.noteDemand(team, 10_000);
    await b.renewSoon();
    assert.ok(b.share(team)! >= 9_990, `b got a's freed share, got ${b.share(team)}`);
  });

  it("keeps a crashed instance's share for its restart under the same id, and frees only what an instance released", async () => {
    const team = newTeam();
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-leases-id-"));
    try {
      const id = await instanceIdOf(dir);
      assert.equal(await instanceIdOf(dir), id, "kept in the log's directory");
      const floors = new Map([[team, 3_000]]);
      const first = instance(id, floors);
      await first.acquire(team);
      await first.stop(); // the process dies holding unsettled usage: no release

      const other = instance("crash-other");
      other.noteDemand(team, 1_000);
      await other.acquire(team);
      await other.renewSoon();
      assert.equal(other.share(team), 0, "the dead instance's share is not handed out");

      const restarted = instance(id, floors);
      await restarted.start([team]); // a restart renews the teams its replayed usage holds at once
      assert.equal(restarted.lastError, null);
      assert.equal((await held(team)).get(id), 10_000, "its first report frees nothing");
      assert.ok(restarted.share(team)! >= 3_000, "and it may admit again, at least its floor");
      await restarted.renewSoon();
      assert.equal((await held(team)).get(id), restarted.share(team), "its next report frees what it no longer uses");
      assert.ok(restarted.share(team)! >= 3_000);

      floors.set(team, 0); // its usage settled: on close it gives the team back
      assert.deepEqual(await restarted.releaseIdle(), [team]);
      assert.equal((await held(team)).has(id), false);
      other.noteDemand(team, 1_000);
      await other.renewSoon();
      assert.equal(other.share(team), 10_000);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it("never runs two renewals at once: a team first seen during one is asked for in the next, and a failed renewal keeps the shares", async () => {
    const teams = [newTeam(), newTeam()];
    let inFlight = 0;
    let most = 0;
    let failNext = false;
    const counted: LeaseSource = {
      async renew(instance, ttlMs, reports) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          if (failNext) throw new Error("ledger unreachable");
          return await source.renew(instance, ttlMs, reports);
        } finally {
          inFlight -= 1;
        }
      },
      release: (instance, t) => source.release(instance, t),
    };
    const l = new BalanceLeases({ source: counted, instance: "serial-a", floorOf: () => 0, renewMs: 300_000, ttlMs: 600_000 });
    started.push(l);
    await Promise.all([l.acquire(teams[0]!), l.acquire(teams[1]!), l.renewSoon(), l.renewSoon()]);
    assert.equal(most, 1);
    assert.deepEqual(teams.map((t) => l.share(t)), [10_000, 10_000]);
    failNext = true;
    await assert.rejects(l.renewSoon(), /ledger unreachable/);
    assert.match(String(l.lastError), /ledger unreachable/);
    assert.deepEqual(teams.map((t) => l.share(t)), [10_000, 10_000], "an instance that cannot reach the ledger keeps what it holds");
    const late = newTeam();
    await assert.rejects(l.acquire(late), /ledger unreachable/);
    assert.equal(l.share(late), undefined);
    failNext = false;
    await l.renewSoon();
    assert.equal(l.lastError, null);
    assert.equal(l.share(late), 10_000, "asked for again in the next renewal");
  });

  it("lets an operator list a team's leases and release those of an instance that will not come back", async () => {
    const team = newTeam();
    const gone = instance("gone-for-good", new Map([[team, 4_000]]));
    await gone.acquire(team);
    await gone.stop();
    const env = { LEDGER_URL: sidecar.url, LEDGER_SERVER_SECRET: sidecar.serverSecret };
    const lines: string[] = [];
    await leasesCommand(["list", team], env, (l) => lines.push(l));
    assert.deepEqual(lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => [l.instance, l.bps, l.live, l.released, l.spentBps]), [["gone-for-good", 10_000, true, false, 0]]);
    lines.length = 0;
    await leasesCommand(["release", "gone-for-good", team], env, (l) => lines.push(l));
    assert.deepEqual(JSON.parse(lines[0]!), { event: "released", instance: "gone-for-good", leases: 1 });
    assert.equal((await held(team)).size, 0);
    await assert.rejects(leasesCommand(["release"], env, () => undefined), /usage: npm run gateway -- leases/);
    await assert.rejects(leasesCommand(["list", "not-an-address"], env, () => undefined), /team/);
    // A ledger that cannot be reached is named, with the cause.
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    const unreachable = { LEDGER_URL: `http://127.0.0.1:${closed}`, LEDGER_SERVER_SECRET: sidecar.serverSecret };
    await assert.rejects(leasesCommand(["list", team], unreachable, () => undefined), new RegExp(`^Error: ledger at http://127\\.0\\.0\\.1:${closed}: .*\\(ECONNREFUSED\\)$`));
  });

  it("two gates on one team admit no more than its balance pays for as the share follows the requests, and leave no debt", async () => {
    const N = 137n;
    const { stack, other, t } = await leasedPair(N);

    const first = await serve(stack.gate, t.key, 100);
    assert.equal(first.filter((a) => a.ok).length, 100, "the first instance holds the whole");
    const refused = await serve(other.gate, t.key, 10);
    assert.ok(refused.every((a) => a.status === 503 && a.error === "balance_lease_unavailable" && a.headers["Retry-After"] === "1"), "the second holds nothing yet");

    // Renewals: the second's refused requests are its demand; the first keeps what its 100 reservations need.
    let servedElsewhere = 0;
    for (let round = 0; round < 4; round++) {
      await stack.leases!.renewSoon();
      await other.leases!.renewSoon();
      const r = await serve(other.gate, t.key, 20);
      servedElsewhere += r.filter((a) => a.ok).length;
      assert.ok(r.every((a) => a.ok || a.error === "balance_lease_unavailable" || a.error === "insufficient_balance"), r.find((a) => !a.ok)?.error ?? "");
      assert.ok((await total(t.address)) <= 10_000);
    }
    const floor = stack.gate.leaseFloorBps(t.address);
    assert.equal(floor, Math.ceil((100 * 10_000) / Number(N)), "100 of 137 requests' worth reserved");
    assert.ok(stack.leases!.share(t.address)! >= floor);
    assert.ok(servedElsewhere >= 30, `the rest of the balance moved to the second instance: it served ${servedElsewhere}`);
    assert.ok(100 + servedElsewhere <= Number(N), `together ${100 + servedElsewhere} ≤ ${N}`);

    assert.deepEqual(await Promise.all([stack.settler.drain(), other.settler.drain({ maxIdleRounds: 10 })]), [0, 0]);
    const team = await stack.d.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 0n, "no debt on chain");
    assert.equal(team.periodRequests, BigInt(100 + servedElsewhere), "every request served, charged once");
  });

  it("a settlement moves no budget between two leased instances, and a closed instance's spend stays held for its period", async () => {
    const { stack, other, t } = await leasedPair(100n);
    const ok = async (gate: Stack["gate"], n: number) => (await serve(gate, t.key, n)).filter((a) => a.ok).length;
    const renew = async () => {
      for (let i = 0; i < 3; i++) {
        await stack.leases!.renewSoon();
        await other.leases!.renewSoon();
      }
    };
    let served = (await ok(stack.gate, 1)) + (await ok(other.gate, 1));
    await renew(); // both asked: the team splits about evenly
    served += (await ok(stack.gate, 60)) + (await ok(other.gate, 60));
    assert.ok(served >= 90, `served ${served} of 100 before any settlement`);
    // The second instance settles: the vault drops by what it charged, and so do its reservations.
    assert.equal(await other.settler.drain({ maxIdleRounds: 10 }), 0);
    await stack.balances.refresh([t.address]);
    served += await ok(other.gate, 60);
    await renew();
    served += (await ok(other.gate, 60)) + (await ok(stack.gate, 60));
    assert.ok(served <= 100, `${served} served on a balance for 100 (a share of the funds as they are now served 125)`);
    assert.deepEqual(await Promise.all([stack.settler.drain(), other.settler.drain({ maxIdleRounds: 10 })]), [0, 0]);
    const team = await stack.d.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 0n, "no debt on chain");
    assert.equal(team.periodRequests, BigInt(served));

    // The second instance closes (settled, nothing reserved): its spend this period stays held; the rest is free.
    const spentBps = other.gate.leaseSpend(t.address)!.spentBps;
    assert.ok(spentBps > 0);
    assert.deepEqual(await other.leases!.releaseIdle(), [t.address]);
    const rows = await ledger.server().query(api.leases.list, { team: t.address });
    const closed = rows.find((r) => r.instance === other.leases!.instance)!;
    assert.deepEqual([closed.bps, closed.spentBps, closed.released], [spentBps, spentBps, true]);
    await renew();
    assert.ok((await total(t.address)) <= 10_000);
    assert.equal((await held(t.address)).get(stack.leases!.instance), 10_000 - spentBps, "the first instance grows into all but the spent share");
  });

  it("reports a batch's share before sending it: an instance gone right after settling, released by an operator, still holds it", async () => {
    const { stack, other: gone, t } = await leasedPair(100n);
    assert.equal((await serve(gone.gate, t.key, 30)).filter((a) => a.ok).length, 30, "a lone instance leases the whole");
    const row = async () => (await ledger.server().query(api.leases.list, { team: t.address })).find((r) => r.instance === gone.leases!.instance)!;
    assert.equal((await row()).spentBps, 0, "reported at the first request, before anything was spent");

    // It settles; renewals are manual here (renewMs 300 s), so only the one before the send reports anything.
    assert.equal(await gone.settler.drain({ maxIdleRounds: 10 }), 0);
    assert.equal((await stack.d.team(t.owner.publicKey)).periodRequests, 30n);
    const spentBps = (await row()).spentBps;
    assert.equal(spentBps, shareNeeded(30n * PRICE, 100n * PRICE), "its batch's share of the basis, reported before the batch went on chain");
    await stack.balances.refresh([t.address]);
    assert.equal(gone.gate.leaseSpend(t.address)!.spentBps, spentBps, "the same share as settled spend");

    // The process dies now; an operator declares its log lost and releases it.
    await gone.leases!.stop();
    const env = { LEDGER_URL: sidecar.url, LEDGER_SERVER_SECRET: sidecar.serverSecret };
    await leasesCommand(["release", gone.leases!.instance, t.address], env, () => undefined);
    assert.deepEqual([(await row()).released, (await row()).spentBps], [true, spentBps]);
    await stack.leases!.acquire(t.address);
    for (let i = 0; i < 2; i++) {
      stack.leases!.noteDemand(t.address, 1_000);
      await stack.leases!.renewSoon();
    }
    assert.equal((await held(t.address)).get(stack.leases!.instance), 10_000 - spentBps, "the other instance gets all but the spent share");
    const served = (await serve(stack.gate, t.key, 100)).filter((a) => a.ok).length;
    assert.ok(served <= 70, `${served} more served on a balance for 70 more`);
    assert.equal(await stack.settler.drain(), 0);
    const team = await stack.d.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 0n, "no debt on chain");
    assert.equal(team.periodRequests, BigInt(30 + served));
  });

  /**
   * A batch settled with the period's roll, its instance then released: two others serve the team in the new
   * period. `unseen`: the gates' view of the chain is not refreshed after the end, so their estimate of the
   * chain's clock is still before it when the settler, reading the chain's clock itself, sends the roll.
   */
  const rollHeldThroughNewPeriod = async (unseen: boolean) => {
    // One-hour periods; this machine's clock (the gates' and the chain view's) moves with the chain's.
    let aheadMs = 0;
    const PERIOD_SECS = 3_600n;
    const { stack, other: gone, t } = await leasedPair(100n, { periods: 2n, periodSecs: PERIOD_SECS, now: () => Date.now() + aheadMs });
    const chainNow = now(stack.d.svm);
    const periodEnd = (await stack.d.team(t.owner.publicKey)).periodEnd;
    const moveTo = async (sec: bigint) => {
      warpTo(stack.d.svm, sec);
      aheadMs = Number(sec - chainNow) * 1000;
      await stack.balances.refresh([t.address]);
    };
    // A minute before the end the next base fee is due: exactly 100 requests' worth are left.
    await moveTo(periodEnd - 60n);
    assert.equal((await serve(gone.gate, t.key, 30)).filter((a) => a.ok).length, 30);

    // The period ends; the settler sends the batch with roll_period, so it is charged in the new period.
    if (unseen) {
      warpTo(stack.d.svm, periodEnd + 10n);
      assert.equal(gone.gate.leaseSpend(t.address)!.periodEnd, Number(periodEnd), "by the gate's estimate, the period has not ended");
    } else {
      await moveTo(periodEnd + 10n);
      assert.equal(gone.gate.leaseSpend(t.address)!.periodEnd, Number(periodEnd + PERIOD_SECS), "the period the roll starts");
    }
    assert.equal(await gone.settler.drain({ maxIdleRounds: 10 }), 0);
    if (unseen) await moveTo(periodEnd + 10n); // the gates' view catches up with the next poll
    const rolled = await stack.d.team(t.owner.publicKey);
    assert.deepEqual([rolled.periodEnd, rolled.periodRequests], [periodEnd + PERIOD_SECS, 30n], "charged in the new period");

    // The instance dies; an operator releases it. Two others serve the team in the new period: they report it,
    // and the dead instance's share stays held through it.
    await gone.leases!.stop();
    const env = { LEDGER_URL: sidecar.url, LEDGER_SERVER_SECRET: sidecar.serverSecret };
    await leasesCommand(["release", gone.leases!.instance, t.address], env, () => undefined);
    const spentBps = shareNeeded(30n * PRICE, 100n * PRICE);
    const live = [stack, await stack.instance()];
    let served = 0;
    for (let round = 0; round < 6; round++) {
      for (const g of live) await g.leases!.renewSoon();
      for (const g of live) {
        const r = await serve(g.gate, t.key, 10);
        served += r.filter((a) => a.ok).length;
        assert.ok(r.every((a) => a.ok || a.error === "balance_lease_unavailable" || a.error === "insufficient_balance"), r.find((a) => !a.ok)?.error ?? "");
      }
    }
    for (const g of live) assert.equal(g.gate.leaseSpend(t.address)!.periodEnd, Number(periodEnd + PERIOD_SECS), "they report the new period");
    const row = (await ledger.server().query(api.leases.list, { team: t.address })).find((r) => r.instance === gone.leases!.instance);
    assert.deepEqual([row?.released, row?.spentBps, row?.periodEnd], [true, spentBps, Number(periodEnd + PERIOD_SECS)], "held for the new period");
    assert.ok(served >= 50 && served <= 70, `${served} more served on a balance for 70 more`);
    assert.deepEqual(await Promise.all(live.map((g) => g.settler.drain({ maxIdleRounds: 10 }))), [0, 0]);
    const team = await stack.d.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 0n, "no debt on chain");
    assert.equal(team.periodRequests, BigInt(30 + served));
  };

  it("holds a batch settled with the period's roll through the new period: its instance released, two others serve only the rest", async () => {
    await rollHeldThroughNewPeriod(false);
  });

  it("holds it so too when the gate's view of the chain's clock lags the settler's reading at the period's end", async () => {
    await rollHeldThroughNewPeriod(true);
  });

  it("a runtime with balanceLeases leases its teams' shares under the id in its log's directory, and gives them back on close", async () => {
    s = await createStack();
    const t = await s.team({ deposit: 100n * USDC });
    const owner = t.owner.publicKey.toBase58();
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Leased", chainTeam: t.address, vault: t.vault.toBase58() });
    const { key } = await ledger.as(owner).mutation(api.apiKeys.create, { teamId, name: "k" });
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-leased-runtime-"));
    const { d } = s;
    const runtimeOver = (logDir: string, balanceLeases: { renewMs?: number; ttlMs?: number }) =>
      startGatewayRuntime({
        provider: d.provider,
        billingAuthority: d.billingAuthority,
        programId: d.programId,
        ledger,
        usageLogDir: path.join(dir, logDir),
        gate: { rateLimits: UNLIMITED },
        indexer: false,
        balanceLeases,
      });
    const runtime = await runtimeOver("usage", { renewMs: 200 });
    try {
      // Misconfigured: refused, leaving the log's directory unlocked for a start that is not.
      await assert.rejects(runtimeOver("bad", { renewMs: 0 }), /renewMs must be a positive integer/);
      await assert.rejects(runtimeOver("bad", { ttlMs: 10 }), /ttlMs must be an integer from 1000/);
      await (await runtimeOver("bad", {})).close();
      const served = await serve(runtime.gate, key, 20);
      assert.equal(served.filter((a) => a.ok).length, 20);
      const id = (await fsp.readFile(path.join(dir, "usage", "INSTANCE"), "utf8")).trim();
      assert.equal(runtime.leases!.instance, id);
      assert.deepEqual([...(await held(t.address))], [[id, 10_000]]);
      await new Promise((r) => setTimeout(r, 600)); // renewals on the timer keep it
      assert.ok(runtime.leases!.renewals >= 2, `renewed ${runtime.leases!.renewals} times`);
      assert.equal(runtime.leases!.lastError, null);
      await runtime.close(); // settles everything, then frees the team's share but what it spent this period
      assert.equal(runtime.log.unsettled, 0);
      const [row] = await ledger.server().query(api.leases.list, { team: t.address });
      assert.deepEqual([row?.instance, row?.bps, row?.released], [id, 20, true], "20 of the period's 10,000 included requests: 20 bps");
    } finally {
      await runtime.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
