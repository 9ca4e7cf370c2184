import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { buildGateway } from "../../build";
import { balanceLeasesFrom, gateOptionsFrom, runtimeSectionsFrom, settlerOptionsFrom, workerNiceFrom } from "./main";
import { ProxyConfigError, readProxyConfigFile } from "./config";

const repoRoot = path.resolve(__dirname, "../../..");

function run(config: unknown, env: Record<string, string> = {}) {
  return (async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-main-"));
    const file = path.join(dir, "gateway.json");
    await fsp.writeFile(file, JSON.stringify(config));
    const child = spawn(process.execPath, ["--enable-source-maps", await buildGateway(), "--config", file], {
      cwd: repoRoot,
      env: { ...process.env, BILLING_AUTHORITY_KEYPAIR: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    return { child, out: () => out, err: () => err, exited, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
  })();
}

describe("npm run gateway (the metering proxy's command)", function () {
  this.timeout(60_000);

  it("forwards with the gate off and stops cleanly on SIGTERM", async () => {
    const upstream = http.createServer((_q, res) => res.end("upstream says hi"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const p = await run({ listen: { port: 0 }, gate: false, routes: [{ path: "/", prefix: true, upstream: up }] });
    try {
      while (!/listening/.test(p.out())) {
        if (p.child.exitCode !== null) throw new Error(p.err());
        await new Promise((r) => setTimeout(r, 50));
      }
      const { url } = JSON.parse(p.out().split("\n")[0]!) as { url: string };
      const res = await fetch(`${url}/anything`);
      assert.equal(await res.text(), "upstream says hi");
      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0);
      assert.match(p.out(), /"event":"stopped"/);
    } finally {
      upstream.close();
      await p.cleanup();
    }
  });

  it("refuses to start the gate without a billing authority keypair, saying which setting is missing", async () => {
    const p = await run({ routes: [{ path: "/", upstream: "http://127.0.0.1:9" }] });
    try {
      assert.equal(await p.exited, 1);
      assert.match(p.err(), /billingAuthority/);
    } finally {
      await p.cleanup();
    }
  });

  it("prints its usage without --config", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "main.ts")], { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    assert.equal(await new Promise((r) => child.on("exit", r)), 2);
    assert.match(err, /--config/);
    assert.match(err, /leases list <team address>/);
  });

  it("refuses a malformed leases command with its usage", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "main.ts"), "leases", "drop", "x"], { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    assert.equal(await new Promise((r) => child.on("exit", r)), 2);
    assert.match(err, /usage: npm run gateway -- leases list/);
  });
});

describe("the config file", () => {
  it("is read as JSON; a file that cannot be read, or is not JSON, is refused naming the file and why", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-config-"));
    try {
      const good = path.join(dir, "good.json");
      await fsp.writeFile(good, JSON.stringify({ routes: [] }));
      assert.deepEqual(await readProxyConfigFile(good), { routes: [] });
      const missing = path.join(dir, "missing.json");
      await assert.rejects(readProxyConfigFile(missing), (e: unknown) => e instanceof ProxyConfigError && e.message === `proxy config: cannot read ${missing}: ENOENT`);
      const bad = path.join(dir, "bad.json");
      await fsp.writeFile(bad, '{"routes": [');
      await assert.rejects(readProxyConfigFile(bad), (e: unknown) => e instanceof ProxyConfigError && e.message.startsWith(`proxy config: ${bad} is not valid JSON: `));
      await assert.rejects(readProxyConfigFile(dir), (e: unknown) => e instanceof ProxyConfigError && e.message === `proxy config: cannot read ${dir}: EISDIR`);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("gateway config sections", () => {
  it("reads gate and settler options, amounts from decimal strings", () => {
    assert.deepEqual(gateOptionsFrom({ gateOptions: { maxChainStalenessMs: 5000, periodEdgeMs: 300000, onChainUnavailable: "allow-up-to", staleAllowance: "250000", network: "solana:devnet" } }), {
      maxChainStalenessMs: 5000,
      periodEdgeMs: 300_000,
      onChainUnavailable: "allow-up-to",
      staleAllowance: 250_000n,
      network: "solana:devnet",
    });
    assert.deepEqual(settlerOptionsFrom({ settler: { flushIntervalMs: 500, flushCost: "10" } }), { flushIntervalMs: 500, flushCost: 10n });
    assert.deepEqual(gateOptionsFrom({}), {});
    assert.deepEqual(gateOptionsFrom({ gateOptions: { rateLimits: [{ ratePerSec: 5, burst: 10 }] } }), { rateLimits: [{ ratePerSec: 5, burst: 10 }] });
    assert.deepEqual(gateOptionsFrom({ gateOptions: { rateLimitHeaders: "always" } }), { rateLimitHeaders: "always" });
  });

  it("rejects unknown or malformed options", () => {
    assert.throws(() => gateOptionsFrom({ gateOptions: { bogus: 1 } }), /bogus is not an option/);
    assert.throws(() => gateOptionsFrom({ gateOptions: { maxUnits: "5" } }), /maxUnits must be a number/);
    assert.throws(() => gateOptionsFrom({ gateOptions: { staleAllowance: 5 } }), /staleAllowance/);
    assert.throws(() => gateOptionsFrom({ gateOptions: { onChainUnavailable: "maybe" } }), /onChainUnavailable/);
    assert.throws(() => gateOptionsFrom({ gateOptions: { rateLimits: [{ ratePerSec: "5" }] } }), /rateLimits/);
    assert.throws(() => gateOptionsFrom({ gateOptions: { rateLimitHeaders: "never" } }), /rateLimitHeaders must be "refusals" or "always"/);
    assert.throws(() => settlerOptionsFrom({ settler: { flushCost: "-1" } }), /flushCost/);
    assert.throws(() => settlerOptionsFrom({ settler: [] }), /settler must be an object/);
  });

  it("reads the usage log, ledger, chain and indexer sections, refusing unknown keys and wrong types", () => {
    const defined = (o: unknown) => JSON.parse(JSON.stringify(o)) as unknown; // absent settings: the runtime's defaults
    assert.deepEqual(defined(runtimeSectionsFrom({})), { sources: {}, indexer: {} });
    const full = runtimeSectionsFrom({
      usageLog: { dir: "/var/lib/gw", durability: "fsync", maxGroupWaitMs: 0.5 },
      ledger: { url: "https://ledger.example" },
      chain: { rpcUrl: "http://rpc", wsUrl: "ws://rpc", programId: "Prog111", billingAuthority: "/etc/gw/authority.json", pollMs: 500 },
      indexer: { pollMs: 250 },
    });
    assert.deepEqual(full, {
      sources: { rpcUrl: "http://rpc", wsUrl: "ws://rpc", billingAuthorityFile: "/etc/gw/authority.json", programId: "Prog111", ledgerUrl: "https://ledger.example" },
      usageLogDir: "/var/lib/gw",
      durability: "fsync",
      maxGroupWaitMs: 0.5,
      balancesPollMs: 500,
      indexer: { pollMs: 250 },
    });
    assert.equal(runtimeSectionsFrom({ indexer: false }).indexer, false, "another process indexes");
    assert.deepEqual(defined(runtimeSectionsFrom({ indexer: true }).indexer), {});
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ usageLog: { dir: "/x", durability: "fsnyc" } }, /usageLog\.durability must be "fsync" or "write"/],
      [{ usageLog: { directory: "/x" } }, /usageLog\.directory is not an option \(usageLog takes dir, durability, maxGroupWaitMs\)/],
      [{ usageLog: { dir: 7 } }, /usageLog\.dir must be a string/],
      [{ usageLog: { maxGroupWaitMs: -1 } }, /usageLog\.maxGroupWaitMs must be a non-negative number/],
      [{ ledger: { URL: "http://l" } }, /ledger\.URL is not an option/],
      [{ ledger: "http://l" }, /ledger must be an object/],
      [{ chain: { rpc: "http://r" } }, /chain\.rpc is not an option/],
      [{ chain: { pollMs: "1000" } }, /chain\.pollMs must be a non-negative number/],
      [{ indexer: { poll: 1 } }, /indexer\.poll is not an option/],
      [{ indexer: "yes" }, /indexer must be an object/],
    ];
    for (const [raw, re] of bad) assert.throws(() => runtimeSectionsFrom(raw), (e: unknown) => e instanceof ProxyConfigError && re.test(e.message), String(re));
  });

  it("reads balanceLeases: absent or false for fixed shares, true for the defaults, or its settings", () => {
    assert.equal(balanceLeasesFrom({}), undefined);
    assert.equal(balanceLeasesFrom({ balanceLeases: false }), undefined);
    assert.deepEqual(balanceLeasesFrom({ balanceLeases: true }), {});
    assert.deepEqual(balanceLeasesFrom({ balanceLeases: { instance: "edge-1", renewMs: 500, ttlMs: 5000 } }), { instance: "edge-1", renewMs: 500, ttlMs: 5000 });
    assert.throws(() => balanceLeasesFrom({ balanceLeases: { renewMs: "500" } }), /balanceLeases\.renewMs must be a number/);
    assert.throws(() => balanceLeasesFrom({ balanceLeases: { instance: 7 } }), /balanceLeases\.instance must be a string/);
    assert.throws(() => balanceLeasesFrom({ balanceLeases: { share: 1 } }), /balanceLeases\.share is not an option/);
    assert.throws(() => balanceLeasesFrom({ balanceLeases: "yes" }), /balanceLeases must be an object/);
  });

  it("reads the worker threads' CPU priority, refusing what is not a nice value from 0 to 19", () => {
    assert.equal(workerNiceFrom({}), undefined, "absent: the runtime's default (19)");
    assert.equal(workerNiceFrom({ workers: { nice: 0 } }), 0);
    assert.equal(workerNiceFrom({ workers: { nice: 12 } }), 12);
    assert.throws(() => workerNiceFrom({ workers: { nice: 20 } }), /workers\.nice: workerNice must be an integer from 0/);
    assert.throws(() => workerNiceFrom({ workers: { nice: "19" } }), /workers\.nice/);
    assert.throws(() => workerNiceFrom({ workers: { priority: 19 } }), /workers\.priority is not an option/);
    assert.throws(() => workerNiceFrom({ workers: 19 }), /workers must be an object/);
  });
});
