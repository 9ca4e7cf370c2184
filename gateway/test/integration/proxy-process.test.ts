// The standalone metering proxy exactly as `npm run gateway` runs it (compiled by gateway/build.ts, a child
// process, gate on) against simnet with the program loaded and the embedded ledger: requests served and
// refused over HTTP, then the usage settled on chain and in the ledger exactly once, across a SIGTERM drain
// and a restart on the same usage log. Until this test, only bench/gateway.ts ran this path. The `it`s share one setup and run in order.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fsp, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import readline from "node:readline";
import { AnchorProvider } from "@coral-xyz/anchor";
import { createAccount, createMint, mintTo } from "@solana/spl-token";
import { Keypair, type Connection } from "@solana/web3.js";
import type { Id } from "../../../convex/_generated/dataModel";
import { api, createLedgerClient, type LedgerClient } from "../../../ledger/client";
import { startSidecarProcess, type SidecarProcess } from "../../../ledger/start-sidecar";
import { PrepaidBillingClient } from "../../../sdk/src/client";
import { DEFAULT_TIERS, PROGRAM_ID, USDC } from "../../../sdk/src/constants";
import type { Simnet } from "../../../simnet/server";
import { connect, disconnect, fundedKeypair, programCopy, repoRoot, startTestSimnet, tempDir } from "../../../simnet/test/helpers";
import { buildGateway, COMPILED_PROXY } from "../../build";
import { keypairWallet } from "../../src/runtime-settings";
import type { Health } from "../../src/health";

const ENDPOINT = "/api/v1/verify";
const UPSTREAM_BODY = '{"verified":true}';
// Tier 0 includes 100 requests here (10,000 by default) so that the run crosses from free to charged
// requests and the cost sums compared below are not trivially zero.
const STARTUP = { ...DEFAULT_TIERS[0], includedRequests: 100n };
// The Startup tier's default 20 requests/s would refuse most of the load with 429.
const ABOVE_LOAD = { ratePerSec: 1_000_000, burst: 1_000_000 };

type ProxyChild = { child: ChildProcess; url: string; events: Record<string, unknown>[]; exited: Promise<number | null>; stderr(): string };

/** Spawns the proxy command and resolves once it prints its `listening` line. */
function startProxy(configFile: string, env: NodeJS.ProcessEnv): Promise<ProxyChild> {
  const args = ["--enable-source-maps", COMPILED_PROXY, "--config", configFile];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8_000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const events: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`proxy not listening within 60 s\n${stderr}`));
    }, 60_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code} before listening\n${stderr}`));
    });
    // Read stdout for the whole life of the child: a full pipe would block its logging.
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not one of its JSON log lines
      }
      events.push(event);
      if (event.event === "listening") {
        clearTimeout(timer);
        resolve({ child, url: String(event.url), events, exited, stderr: () => stderr });
      }
    });
  });
}

/** SIGTERM (the proxy settles what is pending first), then its exit code and its `stopped` line. */
/** Each thread's nice value in process `pid`, by thread id (Linux /proc: field 19 of a task's stat). */
function threadNiceValues(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
  }
  return out;
}

async function stopProxy(p: ProxyChild): Promise<{ code: number | null; stopped: Record<string, unknown> | undefined }> {
  p.child.kill("SIGTERM");
  const killer = setTimeout(() => p.child.kill("SIGKILL"), 30_000);
  const code = await p.exited;
  clearTimeout(killer);
  return { code, stopped: p.events.find((e) => e.event === "stopped") };
}

type Answer = { status: number; body: string; headers: Headers };

/** `count` keyed GETs, `concurrency` at a time. */
async function sendKeyed(url: string, key: string, count: number, concurrency = 10): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  const lane = async () => {
    while (next++ < count) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      answers.push({ status: res.status, body: await res.text(), headers: res.headers });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return answers;
}

const costOf = (answers: Answer[]) => answers.reduce((sum, a) => sum + BigInt(a.headers.get("x-billing-cost") ?? "0"), 0n);

describe("npm run gateway as a child process, gate on, against simnet and the embedded ledger", function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir> | undefined;
  let sim: Simnet;
  let connection: Connection;
  let sidecar: SidecarProcess;
  let ledger: LedgerClient;
  let upstream: http.Server;
  let client: PrepaidBillingClient;
  let proxy: ProxyChild | undefined;
  let owner: Keypair;
  let teamId: Id<"teams">;
  let apiKey: string;
  let configFile: string;
  let proxyEnv: NodeJS.ProcessEnv;
  let vaultAtStart: bigint;
  let firstRun: Answer[] = [];

  /** The chain and the ledger hold exactly `served`: request count, overage, the vault's drop, the rollup. */
  async function assertSettledExactly(served: Answer[]): Promise<void> {
    const team = await client.fetchTeam(owner.publicKey);
    assert.equal(team.periodRequests, BigInt(served.length), "on-chain request count = 200 answers");
    assert.equal(team.periodOverageSpend, costOf(served), "on-chain overage = sum of X-Billing-Cost");
    assert.equal(vaultAtStart - (await client.vaultBalance(owner.publicKey)), costOf(served), "vault charge = sum of X-Billing-Cost");
    const byEndpoint = await ledger.as(owner.publicKey.toBase58()).query(api.analytics.getEndpointBreakdown, { teamId, days: 2 });
    assert.deepEqual(
      byEndpoint.map((r) => [r.endpoint, r.requests, r.cost]),
      [[ENDPOINT, served.length, costOf(served)]],
      "the ledger's rollup",
    );
  }

  before(async () => {
    // Made here, not when the file is loaded: a run that filters this suite out would never remove it.
    tmp = tempDir("gw-proxy-process");
    await buildGateway();
    const { soPath } = programCopy(tmp.dir); // builds target/deploy/prepaid_billing.so when missing
    sim = await startTestSimnet({ programs: [{ programId: PROGRAM_ID.toBase58(), soPath }] });
    connection = connect(sim);
    sidecar = await startSidecarProcess({ dataDir: path.join(tmp!.dir, "ledger"), crons: false, fsync: false });
    ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });

    // The program's config and a Startup team with a funded vault, as in bench/gateway.ts.
    const admin = await fundedKeypair(connection, 100);
    const billingAuthority = await fundedKeypair(connection, 10); // pays the settlement transactions' fees
    client = new PrepaidBillingClient(new AnchorProvider(connection, keypairWallet(admin), { commitment: "confirmed" }));
    const mint = await createMint(connection, admin, admin.publicKey, null, 6);
    const treasury = await createAccount(connection, admin, mint, Keypair.generate().publicKey);
    const stakerPool = await createAccount(connection, admin, mint, Keypair.generate().publicKey);
    const tiers = [STARTUP, DEFAULT_TIERS[1], DEFAULT_TIERS[2]];
    await client.initializeConfig({ admin: admin.publicKey, usdcMint: mint, treasury, stakerPool, billingAuthority: billingAuthority.publicKey, tiers });
    owner = await fundedKeypair(connection, 2);
    const ownerToken = await createAccount(connection, admin, mint, owner.publicKey);
    await mintTo(connection, admin, mint, ownerToken, admin, 1_000n * USDC);
    await client.createTeamAccount({ owner, tier: 0, usdcMint: mint });
    await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 100n * USDC });
    // A new team owes its first period's base fee; the settler's first roll_period would collect it with the
    // first batch. Collecting it here leaves only usage in the vault's drop measured below.
    await client.rollPeriod({ teamOwner: owner.publicKey });
    assert.ok((await client.fetchTeam(owner.publicKey)).baseFeePaid);
    vaultAtStart = await client.vaultBalance(owner.publicKey);

    // The same team in the ledger, with a key, the way the dashboard makes them.
    const wallet = owner.publicKey.toBase58();
    ({ teamId } = await ledger.as(wallet).mutation(api.teams.create, {
      name: "Proxy process",
      tier: 0,
      chainTeam: client.teamAddress(owner.publicKey).toBase58(),
      vault: client.vaultAddress(owner.publicKey).toBase58(),
    }));
    ({ key: apiKey } = await ledger.as(wallet).mutation(api.apiKeys.create, { teamId, name: "proxy-process" }));

    upstream = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.setHeader("content-type", "application/json").end(UPSTREAM_BODY));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));

    const authorityFile = path.join(tmp!.dir, "billing-authority.json");
    await fsp.writeFile(authorityFile, JSON.stringify(Array.from(billingAuthority.secretKey)));
    proxyEnv = {
      ...process.env,
      CONVEX_URL: "", // it would win over LEDGER_URL
      SOLANA_RPC_URL: sim.rpcUrl,
      SOLANA_WS_URL: sim.wsUrl, // simnet's PubSub is on a port of its own, not the RPC port + 1
      BILLING_AUTHORITY_KEYPAIR: authorityFile,
      PREPAID_BILLING_PROGRAM_ID: PROGRAM_ID.toBase58(),
      LEDGER_URL: sidecar.url,
      LEDGER_SERVER_SECRET: sidecar.serverSecret,
      GATEWAY_STATUS_MS: "0",
    };
    configFile = path.join(tmp!.dir, "gateway.json");
    const gatewayConfig = {
      listen: { host: "127.0.0.1", port: 0 },
      gate: true,
      routes: [{ path: ENDPOINT, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }],
      usageLog: { dir: path.join(tmp!.dir, "usage") },
      gateOptions: { rateLimits: [ABOVE_LOAD, ABOVE_LOAD, ABOVE_LOAD] },
      // Flush thresholds out of reach: nothing settles in the background, so what the chain shows after a
      // stop was settled by the SIGTERM drain.
      settler: { flushIntervalMs: 3_600_000, flushCost: String(1_000_000n * USDC) },
      indexer: false, // nothing here reads indexed chain events
    };
    await fsp.writeFile(configFile, JSON.stringify(gatewayConfig));
    proxy = await startProxy(configFile, proxyEnv);
  });

  after(async () => {
    if (proxy && proxy.child.exitCode === null && proxy.child.signalCode === null) {
      proxy.child.kill("SIGKILL");
      await proxy.exited;
    }
    upstream?.close();
    await sidecar?.stop();
    if (connection) await disconnect(connection);
    await sim?.close();
    tmp?.remove();
  });

  /**
   * Sends a keyed request every 50 ms until one answers `status`; fails after `withinMs`. Every answer is
   * added to `answers`: a request served while waiting is charged like any other.
   */
  async function answerWithin(url: string, status: number, withinMs: number, answers: Answer[]): Promise<Answer> {
    const until = Date.now() + withinMs;
    for (;;) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
      const answer = { status: res.status, body: await res.text(), headers: res.headers };
      answers.push(answer);
      if (res.status === status) return answer;
      if (Date.now() > until) throw new Error(`no ${status} within ${withinMs} ms (last ${res.status})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("serves keyed requests with the upstream's body and the billing headers; refuses a missing or unknown key with 401", async () => {
    assert.equal(proxy!.events[0]?.clients, "io-thread", "the chain and ledger clients run in the I/O thread");
    // The worker threads (I/O, receipt roots) run at nice 19 once their bootstrap has run (a worker started
    // just before the listening line may not have yet), the thread serving requests at the process's.
    const pid = proxy!.child.pid!;
    let nice = threadNiceValues(pid);
    for (const until = Date.now() + 5_000; [...nice.values()].filter((n) => n === 19).length < 2 && Date.now() < until; nice = threadNiceValues(pid)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(nice.get(pid), 0, "the request thread keeps nice 0");
    assert.equal([...nice.values()].filter((n) => n === 19).length, 2, `the I/O thread and the receipt worker, and only they, at nice 19: ${JSON.stringify([...nice])}`);
    firstRun = await sendKeyed(`${proxy!.url}${ENDPOINT}`, apiKey, 300);
    assert.deepEqual([...new Set(firstRun.map((a) => a.status))], [200], "every keyed request answered 200");
    for (const a of firstRun) {
      assert.equal(a.body, UPSTREAM_BODY);
      for (const header of ["x-billing-cost", "x-billing-available", "x-request-id"]) assert.ok(a.headers.get(header), `${header} on a served answer`);
    }
    assert.equal(new Set(firstRun.map((a) => a.headers.get("x-request-id"))).size, firstRun.length, "request ids are unique");
    // Admission prices telescope: the first 100 are included, the rest pay the overage price.
    assert.equal(costOf(firstRun), (300n - STARTUP.includedRequests) * STARTUP.overagePrice);

    // Its health: serving, the team's chain data fresh, nothing failing.
    const health = await fetch(`${proxy!.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get("cache-control"), "no-store");
    const report = (await health.json()) as Health;
    assert.deepEqual(
      { ...report, chain: { ...report.chain, oldestDataMs: null, clockOffsetMs: null } },
      {
        status: "ok",
        usageLog: "ok",
        keys: "ok",
        chain: { status: "ok", teams: 1, staleTeams: 0, oldestDataMs: null, clockOffsetMs: null },
        settlement: { status: "ok", unsettled: firstRun.length },
        indexer: "off",
        leases: "off",
      },
    );
    assert.ok(report.chain.oldestDataMs !== null && report.chain.oldestDataMs < 15_000, `chain data age ${report.chain.oldestDataMs} ms`);
    const offset = report.chain.clockOffsetMs;
    assert.ok(offset !== null && Math.abs(offset) < 5_000, `simnet's clock follows this machine's: offset ${offset} ms`);
    assert.equal((await fetch(`${proxy!.url}/healthz`, { method: "HEAD" })).status, 200);
    assert.equal((await fetch(`${proxy!.url}/healthz`, { method: "POST" })).status, 405);

    const missing = await fetch(`${proxy!.url}${ENDPOINT}`);
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as { error: string }).error, "missing_api_key");
    // Well-formed (one character changed), so it is looked up in the ledger and not found.
    const unknownKey = apiKey.slice(0, -1) + (apiKey.endsWith("A") ? "B" : "A");
    const unknown = await fetch(`${proxy!.url}${ENDPOINT}`, { headers: { authorization: `Bearer ${unknownKey}` } });
    assert.equal(unknown.status, 401);
    assert.equal(((await unknown.json()) as { error: string }).error, "invalid_api_key");
  });

  it("settles on SIGTERM exactly what it served: on-chain requests and charge, and the ledger's rollup", async () => {
    assert.equal((await client.fetchTeam(owner.publicKey)).periodRequests, 0n, "nothing settled before the stop");
    const { code, stopped } = await stopProxy(proxy!);
    assert.equal(code, 0, `exit code (stderr: ${proxy!.stderr()})`);
    assert.deepEqual({ served: stopped?.served, unsettled: stopped?.unsettled }, { served: firstRun.length, unsettled: 0 });
    await assertSettledExactly(firstRun);
  });

  it("restarted on the same usage log, settles only the new requests", async () => {
    proxy = await startProxy(configFile, proxyEnv);
    const secondRun = await sendKeyed(`${proxy.url}${ENDPOINT}`, apiKey, 50);
    assert.deepEqual([...new Set(secondRun.map((a) => a.status))], [200]);
    // Past the included requests, each new one pays the overage price.
    assert.equal(costOf(secondRun), 50n * STARTUP.overagePrice);
    assert.equal((await client.fetchTeam(owner.publicKey)).periodRequests, BigInt(firstRun.length), "the restart resettled nothing");

    // A withdrawal request reaches the gate through the I/O thread's subscription and the request thread's
    // mirror: the pending amount stops being spendable within moments, and a cancellation frees it again.
    const url = `${proxy.url}${ENDPOINT}`;
    const waiting: Answer[] = [];
    await client.requestWithdrawal({ owner, amount: await client.vaultBalance(owner.publicKey) });
    const refused = await answerWithin(url, 402, 5_000, waiting);
    assert.equal((JSON.parse(refused.body) as { error: string }).error, "insufficient_balance");
    await client.requestWithdrawal({ owner, amount: 0n });
    await answerWithin(url, 200, 5_000, waiting);
    secondRun.push(...waiting.filter((a) => a.status === 200));

    const { code, stopped } = await stopProxy(proxy);
    assert.equal(code, 0, `exit code (stderr: ${proxy.stderr()})`);
    assert.deepEqual({ served: stopped?.served, unsettled: stopped?.unsettled }, { served: secondRun.length, unsettled: 0 });
    await assertSettledExactly([...firstRun, ...secondRun]);
  });

  it("with balanceLeases, leases the team's share through its I/O thread under the id in its log's directory, and frees it on SIGTERM once settled", async () => {
    const dir = path.join(tmp!.dir, "leased");
    await fsp.mkdir(dir);
    const config = JSON.parse(await fsp.readFile(configFile, "utf8")) as Record<string, unknown> & { usageLog: { dir: string } };
    config.usageLog.dir = path.join(dir, "usage");
    config.balanceLeases = { renewMs: 200 };
    const file = path.join(dir, "gateway.json");
    await fsp.writeFile(file, JSON.stringify(config));
    const team = client.teamAddress(owner.publicKey).toBase58();
    const p = await startProxy(file, proxyEnv);
    const instance = (await fsp.readFile(path.join(dir, "usage", "INSTANCE"), "utf8")).trim();
    const listening = p.events.find((e) => e.event === "listening");
    assert.deepEqual([listening?.leaseInstance, listening?.clients], [instance, "io-thread"], "the listening line names it; renewals go through the I/O thread");
    const served = await sendKeyed(`${p.url}${ENDPOINT}`, apiKey, 20);
    assert.deepEqual([...new Set(served.map((a) => a.status))], [200]);
    const leases = await ledger.server().query(api.leases.list, { team });
    assert.deepEqual(leases.map((l) => [l.instance, l.bps, l.live]), [[instance, 10_000, true]]);
    const before = (await client.fetchTeam(owner.publicKey)).periodRequests;
    const { code, stopped } = await stopProxy(p);
    assert.equal(code, 0, `exit code (stderr: ${p.stderr()})`);
    assert.deepEqual({ served: stopped?.served, unsettled: stopped?.unsettled }, { served: 20, unsettled: 0 });
    assert.equal((await client.fetchTeam(owner.publicKey)).periodRequests, before + 20n, "settled on the stop");
    // Released after settling, but for the share its spend this period takes (held until a later period).
    const after = await ledger.server().query(api.leases.list, { team });
    assert.deepEqual(after.map((l) => [l.instance, l.released, l.live, l.bps === l.spentBps]), [[instance, true, false, true]]);
    assert.ok(after[0]!.bps > 0 && after[0]!.bps < 10_000, `holds ${after[0]!.bps} bps`);
  });

  // Last: the batch it leaves recorded in the ledger but never sent holds the team's next batch_seq.
  it("says on stopping why what it served is left unsettled (a billing authority that cannot pay the fee)", async () => {
    const dir = path.join(tmp!.dir, "unpaid");
    await fsp.mkdir(dir);
    const config = JSON.parse(await fsp.readFile(configFile, "utf8")) as { usageLog: { dir: string }; settler: { flushIntervalMs: number } };
    config.usageLog.dir = path.join(dir, "usage");
    config.settler.flushIntervalMs = 200; // it tries, and fails, while running
    const file = path.join(dir, "gateway.json");
    await fsp.writeFile(file, JSON.stringify(config));
    const broke = path.join(dir, "authority.json"); // no lamports for fees, and not the config's authority
    await fsp.writeFile(broke, JSON.stringify(Array.from(Keypair.generate().secretKey)));
    const p = await startProxy(file, { ...proxyEnv, BILLING_AUTHORITY_KEYPAIR: broke });
    const served = await sendKeyed(`${p.url}${ENDPOINT}`, apiKey, 3);
    assert.deepEqual([...new Set(served.map((a) => a.status))], [200]);
    // Its health says so while it runs: still serving (200), settlement failing, the usage waiting.
    let report: Health | null = null;
    for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      const res = await fetch(`${p.url}/healthz`);
      assert.equal(res.status, 200);
      report = (await res.json()) as Health;
      if (report.settlement.status === "failing") break;
    }
    assert.equal(report?.status, "degraded", JSON.stringify(report));
    assert.deepEqual(report?.settlement, { status: "failing", unsettled: 3 });
    assert.equal(report?.usageLog, "ok");
    const { code, stopped } = await stopProxy(p);
    assert.equal(code, 0, `exit code (stderr: ${p.stderr()})`);
    assert.equal(stopped?.unsettled, 3, "left for the next start");
    assert.match(String(stopped?.settlerError), /Simulation failed|debit|insufficient/i, JSON.stringify(stopped)); // the chain's refusal of the fee payer
  });
});
