// The product on one machine, as `npm start` assembles it (scripts/stack/), and the end-to-end story as
// `npm run e2e -- --url <rpc>` plays it against that stack's local chain, through the gateway over HTTP.
// One stack serves every test here (a temporary data directory, free ports, the app built into
// .cache/next-stack when its sources changed).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { getAccount } from "@solana/spl-token";
import { PublicKey } from "@solana/web3.js";
import { USDC } from "../../sdk/src/constants";
import { PaidApi } from "../../scripts/e2e/http";
import { send, verifyRequest } from "../../scripts/stack/demo-requests";
import { StackError } from "../../scripts/stack/errors";
import { readKeypairFile } from "../../scripts/stack/keys";
import { claimPort, freePort, freePortPair } from "../../scripts/stack/net";
import { REPO_ROOT, stackPaths, TEST_DIST_DIR } from "../../scripts/stack/paths";
import { startStack, type StackHandle, type StackOptions } from "../../scripts/stack/stack";
import { billingClient, ownerTokenAccount } from "../../scripts/stack/teams";

type Amounts = Record<"vault" | "treasury" | "stakers" | "owner", string>;

interface E2EJson {
  rows: (Amounts & { step: string; note: string })[];
  mismatches: string[];
  admittedUnits: number;
  calls: number;
  team: { teamId: string; owner: string; chainTeam: string };
  seconds: number;
}

function runE2ECli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts", "e2e", "main.ts"), ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`npm run e2e did not finish within ${timeoutMs} ms:\n${stderr.slice(-4000)}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function tokenBalance(stack: StackHandle, account: PublicKey): Promise<bigint> {
  const info = await stack.connection.getAccountInfo(account, "confirmed");
  return info === null ? 0n : (await getAccount(stack.connection, account, "confirmed")).amount;
}

/** What the chain holds for a team and the deployment's revenue accounts. */
async function chainBalances(stack: StackHandle, owner: PublicKey) {
  const client = billingClient(stack.connection, stack.admin, stack.programId);
  const team = await client.fetchTeam(owner);
  return {
    vault: await tokenBalance(stack, client.vaultAddress(owner)),
    owner: await tokenBalance(stack, ownerTokenAccount(stack.usdcMint, owner)),
    treasury: await tokenBalance(stack, new PublicKey(stack.deployment.treasury)),
    stakers: await tokenBalance(stack, new PublicKey(stack.deployment.stakerPool)),
    periodRequests: team.periodRequests,
    lastBatchSeq: team.lastBatchSeq,
    totalSpent: team.totalSpent,
  };
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("the local stack (npm start) and the end-to-end story (npm run e2e)", function () {
  let dataDir: string;
  let stack: StackHandle;
  let options: StackOptions;
  let e2eOwner: PublicKey | null = null;

  before(async function () {
    this.timeout(15 * 60_000); // a fresh machine builds the app first (about a minute on 2 cores)
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-test-"));
    options = { dataDir, chain: "simnet", ports: { rpc: 0, ledger: 0, app: 0, faucet: 0 }, distDir: TEST_DIST_DIR, ledgerFsync: false };
    stack = await startStack(options);
  });

  after(async function () {
    this.timeout(60_000);
    await stack?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the demo team's key with billing headers and answers the unfunded team's key with 402 and PAYMENT-REQUIRED", async () => {
    const demo = stack.demo!;
    const owner = readKeypairFile(demo.funded.ownerKeyFile);
    const ok = await send(verifyRequest(stack.appUrl, demo.funded.apiKey, owner, "bob"));
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { valid: true });
    assert.equal(ok.headers["x-billing-cost"], "0");
    assert.equal(ok.headers["x-billing-available"], String(50n * USDC));
    assert.ok(ok.headers["x-request-id"]);

    const refused = await send(verifyRequest(stack.appUrl, demo.unfunded.apiKey, owner));
    assert.equal(refused.status, 402, refused.body);
    assert.equal(JSON.parse(refused.body).error, "insufficient_balance");
    const payment = JSON.parse(Buffer.from(refused.headers["payment-required"], "base64").toString("utf8"));
    assert.deepEqual([payment.instruction, payment.amount, payment.vault], ["deposit_funds", String(50n * USDC), demo.unfunded.vault]);

    // A key the ledger never issued: 401.
    const unknown = await send(verifyRequest(stack.appUrl, "pk_not-a-key", owner));
    assert.equal(unknown.status, 401);

    // The seed on chain: 100 USDC deposited, then the 50 USDC base fee split 45 treasury / 5 stakers.
    const b = await chainBalances(stack, owner.publicKey);
    assert.deepEqual([b.vault, b.treasury, b.stakers], [50n * USDC, 45n * USDC, 5n * USDC]);

    // Inside the app's bundle the gate's workers started from the compiled gateway (GATEWAY_WORKERS_DIR):
    // settlement and the chain and ledger clients are off the request thread.
    const appLog = fs.readFileSync(path.join(stackPaths(dataDir).logs, "app.log"), "utf8");
    assert.match(appLog, /billing gate started \(chain and ledger clients: io-thread\)/);
  });

  it("funds a wallet from the faucet and refuses a bad address, an amount over the limit and unknown paths", async () => {
    const wallet = PublicKey.unique();
    const post = (body: unknown, url = `${stack.faucetUrl}/fund`) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const res = await post({ wallet: wallet.toBase58(), usdc: "25000000", lamports: 1_000_000_000 });
    assert.equal(res.status, 200);
    const funded = (await res.json()) as { tokenAccount: string; usdc: string; lamports: string };
    assert.deepEqual([funded.usdc, funded.lamports], ["25000000", "1000000000"]);
    assert.equal(await tokenBalance(stack, new PublicKey(funded.tokenAccount)), 25n * USDC);
    assert.equal(await stack.connection.getBalance(wallet, "confirmed"), 1_000_000_000);

    const info = (await (await fetch(`${stack.faucetUrl}/`)).json()) as { mint: string };
    assert.equal(info.mint, stack.usdcMint.toBase58());

    const bad = await post({ wallet: "not-an-address" });
    assert.deepEqual([bad.status, ((await bad.json()) as { error: string }).error], [400, "invalid_request"]);
    const over = await post({ wallet: wallet.toBase58(), usdc: "10000000001" });
    assert.deepEqual([over.status, ((await over.json()) as { error: string }).error], [422, "over_limit"]);
    const notJson = await fetch(`${stack.faucetUrl}/fund`, { method: "POST", body: "{" });
    assert.equal(notJson.status, 400);
    const getFund = await fetch(`${stack.faucetUrl}/fund`);
    assert.equal(getFund.status, 405);
    const elsewhere = await post({}, `${stack.faucetUrl}/airdrop`);
    assert.equal(elsewhere.status, 404);
  });

  it("plays the end-to-end story with npm run e2e -- --url against the local chain, through the gateway over HTTP", async function () {
    this.timeout(6 * 60_000);
    const client = billingClient(stack.connection, stack.admin, stack.programId);
    assert.equal((await client.fetchConfig()).withdrawalNoticeSecs, 900n, "npm start's config keeps the default notice");
    const run = await runE2ECli(
      ["--url", stack.rpcUrl, "--keypair", stack.adminKeyFile, "--billing-authority", stack.billingAuthorityKeyFile, "--notice-secs", "3", "--skip-build", "--json"],
      5 * 60_000,
    );
    const lines = run.stdout.trim().split("\n");
    const result = JSON.parse(lines[lines.length - 1]) as E2EJson;
    assert.deepEqual(result.mismatches, [], run.stderr.slice(-6000));
    assert.equal(run.code, 0, run.stderr.slice(-6000));
    e2eOwner = new PublicKey(result.team.owner);

    // 14,001 admitted units (10,000 free, 1,000 for 10 USDC, 3,001 for 30.01 USDC) in 15 batch calls, then
    // the refused call and one request after the withdrawal.
    assert.equal(result.admittedUnits, 14_001);
    assert.equal(result.calls, 17);
    const step = (name: string) => {
      const row = result.rows.find((r) => r.step === name);
      assert.ok(row, `step ${name} in ${result.rows.map((r) => r.step).join(", ")}`);
      return row;
    };
    const base = step("owner funded");
    const delta = (row: Amounts, k: "treasury" | "stakers") => BigInt(row[k]) - BigInt(base[k]);
    const fee = step("roll_period: base fee");
    assert.deepEqual([fee.vault, delta(fee, "treasury"), delta(fee, "stakers")], [String(50n * USDC), 45n * USDC, 5n * USDC]);
    const quota = step("10,000 requests (within quota)");
    assert.deepEqual([quota.vault, delta(quota, "stakers")], [String(50n * USDC), 5n * USDC]);
    const overage = step("1,000 more requests");
    assert.deepEqual([overage.vault, delta(overage, "stakers")], [String(40n * USDC), 15n * USDC]);
    assert.match(step("low balance alerts").note, /LowBalanceAlert: balance 9\.99 USDC.*balance\.warning/);
    assert.match(step("a request gets 402").note, /402 insufficient_balance/);
    const end = step("withdraw after the notice");
    assert.deepEqual([end.vault, end.owner, delta(end, "treasury"), delta(end, "stakers")], ["0", "9990000", 45n * USDC, 45_010_000n]);

    // The run put npm start's notice back.
    assert.equal((await client.fetchConfig()).withdrawalNoticeSecs, 900n);
  });

  it("restarts the local chain and finds the same balances", async function () {
    this.timeout(3 * 60_000);
    const demoOwner = readKeypairFile(stack.demo!.funded.ownerKeyFile).publicKey;
    const owners = [demoOwner, ...(e2eOwner ? [e2eOwner] : [])];
    const before = await Promise.all(owners.map((o) => chainBalances(stack, o)));
    const slotBefore = await stack.connection.getSlot("confirmed");
    await stack.restartChain();
    const after = await Promise.all(owners.map((o) => chainBalances(stack, o)));
    assert.deepEqual(after, before);
    assert.ok((await stack.connection.getSlot("confirmed")) >= slotBefore, "slots go on from where they were");

    // The app's gateway reads the restarted chain: the demo key is still served.
    const owner = readKeypairFile(stack.demo!.funded.ownerKeyFile);
    const ok = await eventually("a served request after the restart", 30_000, async () => {
      const answer = await send(verifyRequest(stack.appUrl, stack.demo!.funded.apiKey, owner, "alice"));
      return answer.status === 200 ? answer : null;
    });
    assert.equal(ok.headers["x-billing-cost"], "0");
  });

  it("starts again on the same data directory within 30 s, finds the demo teams it seeded and settles what was served before the stop exactly once", async function () {
    this.timeout(3 * 60_000);
    const demoBefore = stack.demo!;
    const demoOwner = readKeypairFile(demoBefore.funded.ownerKeyFile);
    // Served right before the stop: 500 units the settler may not have charged yet (the usage log keeps them).
    const last = await new PaidApi(stack.appUrl, demoBefore.funded.apiKey, demoOwner).call(500, "bob");
    assert.equal(last.status, 200);
    await stack.stop();
    const started = Date.now();
    // A warm machine: the program and the app are built already.
    stack = await startStack({ ...options, build: "skip" });
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds <= 30, `ready in ${seconds} s`);
    assert.deepEqual(stack.demo!.actions, []);
    assert.equal(stack.demo!.funded.apiKey, demoBefore.funded.apiKey);
    assert.equal(stack.demo!.funded.teamId, demoBefore.funded.teamId);
    assert.equal(stack.deployment.transactions, 0, "the deployment is found as it was");
    // Every unit the demo team was served in this file, settled once: 1 + 1 + 500.
    const client = billingClient(stack.connection, stack.admin, stack.programId);
    await eventually("the demo team's usage settled", 60_000, async () => ((await client.fetchTeam(demoOwner.publicKey)).periodRequests === 502n ? true : null));
    await new Promise((r) => setTimeout(r, 3_000)); // a second settlement would show by now
    assert.equal((await client.fetchTeam(demoOwner.publicKey)).periodRequests, 502n);
    const ok = await send(verifyRequest(stack.appUrl, stack.demo!.funded.apiKey, demoOwner, "alice"));
    assert.equal(ok.status, 200, ok.body);
  });

  it("settles what the app served before a SIGKILL once it is started again, before any paid request reaches it", async function () {
    this.timeout(3 * 60_000);
    const owner = readKeypairFile(stack.demo!.funded.ownerKeyFile);
    const client = billingClient(stack.connection, stack.admin, stack.programId);
    const periodRequests = async () => (await client.fetchTeam(owner.publicKey)).periodRequests;
    // Everything served so far in this file is settled first: 502 before the last restart, 1 after it.
    await eventually("the earlier usage settled", 60_000, async () => ((await periodRequests()) === 503n ? true : null));
    const served = await new PaidApi(stack.appUrl, stack.demo!.funded.apiKey, owner).call(300, "bob");
    assert.equal(served.status, 200);
    await stack.restartApp({ kill: true }); // right after the answer: the usage log holds the 300 units
    // No request to the paid API from here on: the gate started with the app (instrumentation.ts).
    await eventually("the killed app's usage settled by the restarted one", 60_000, async () => ((await periodRequests()) === 803n ? true : null));
    await new Promise((r) => setTimeout(r, 3_000)); // a second settlement would show by now
    assert.equal(await periodRequests(), 803n);
    // The gate's health, as a load balancer reads it: serving, its log open, nothing left to settle.
    const health = await fetch(`${stack.appUrl}/api/health`);
    assert.equal(health.status, 200);
    const report = (await health.json()) as { status: string; billing: string; gate?: { usageLog: string; settlement: { status: string; unsettled: number } } };
    assert.equal(report.billing, "running");
    assert.equal(report.gate?.usageLog, "ok");
    assert.deepEqual(report.gate?.settlement, { status: "ok", unsettled: 0 });
  });

  it("refuses to start while another process holds one of its ports", async () => {
    const port = Number(new URL(stack.appUrl).port);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-busy-"));
    try {
      await assert.rejects(
        startStack({ ...options, dataDir: otherDir, ports: { ...options.ports, app: port }, build: "skip" }),
        (err: unknown) => err instanceof StackError && err.code === "port_in_use" && err.message.includes(String(port)),
      );
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe("npm start as a process", function () {
  it("prints the dashboard URL, the demo key and checked curls, keeps its data directory to itself, and stops every child on SIGTERM", async function () {
    this.timeout(10 * 60_000); // builds the app first if its sources changed since the stack above
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "npm-start-"));
    const rpc = await freePortPair();
    const [app, ledger, faucet] = [await freePort(), await freePort(), await freePort()];
    const args = ["--data-dir", dataDir, "--port", String(app), "--rpc-port", String(rpc), "--ledger-port", String(ledger), "--faucet-port", String(faucet)];
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts", "start.ts"), ...args, "--dist-dir", TEST_DIST_DIR, "--skip-program-build"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner within 9 minutes:\n${output}`)), 9 * 60_000);
        const poll = setInterval(() => {
          if (output.includes("Ctrl-C stops everything.")) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(poll);
            clearTimeout(timer);
            reject(new Error(`npm start exited (${child.exitCode}) before it was ready:\n${output}`));
          }
        }, 200);
      });
      const demo = JSON.parse(fs.readFileSync(path.join(dataDir, "stack", "demo.json"), "utf8")) as { keys: { funded: { key: string } } };
      assert.ok(output.includes(`dashboard     http://127.0.0.1:${app}`), output);
      assert.ok(output.includes(`API key       ${demo.keys.funded.key}`), output);
      assert.match(output, /served \(checked just now: 200 \{"valid":true\}; x-billing-available: 50000000, x-billing-cost: 0/);
      assert.match(output, /checked just now: 402\)/);
      assert.ok(output.includes(`curl -i -X POST http://127.0.0.1:${app}/api/v1/verify`), output);
      assert.ok(fs.existsSync(path.join(dataDir, "stack", "state.json")));
      // A second stack on the same data directory, even on other ports and asked to reset, is refused.
      await assert.rejects(
        startStack({ dataDir, reset: true, ports: { rpc: 0, ledger: 0, app: 0, faucet: 0 }, distDir: TEST_DIST_DIR, build: "skip" }),
        (err: unknown) => err instanceof StackError && err.code === "data_dir_in_use",
      );
      assert.ok(fs.existsSync(path.join(dataDir, "simnet")), "the running stack's chain is left alone");

      const stopAsked = Date.now();
      child.kill("SIGTERM");
      assert.equal(await exited, 0, output);
      assert.ok(Date.now() - stopAsked < 30_000, "stopped within 30 s");
      assert.match(output, /SIGTERM: stopping…\nstopped/);
      // Every server is gone: its port is free again, and the state file is removed.
      for (const port of [app, rpc, rpc + 1, ledger, faucet]) await claimPort(port, `port ${port}`);
      assert.equal(fs.existsSync(path.join(dataDir, "stack", "state.json")), false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
