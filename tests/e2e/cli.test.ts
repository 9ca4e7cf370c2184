// The command lines of `npm start` and `npm run e2e`, the faucet's request parsing, the app build's
// source hash and the children's log files: what can be checked without starting the stack.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PublicKey } from "@solana/web3.js";
import { parseE2EArgs } from "../../scripts/e2e/main";
import { parseStartArgs } from "../../scripts/start";
import { startChild } from "../../scripts/stack/children";
import { StackError } from "../../scripts/stack/errors";
import { FAUCET_DEFAULTS, parseFundRequest } from "../../scripts/stack/faucet";
import { loadOrCreateKeypair } from "../../scripts/stack/keys";
import { appSourceHash } from "../../scripts/stack/next-app";
import { claimPort, freePort, freePortPair } from "../../scripts/stack/net";
import * as net from "node:net";

const usage = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof StackError && err.code === "usage" && pattern.test(err.message));

describe("npm start's command line", () => {
  it("reads ports, the data directory and the switches", () => {
    const args = parseStartArgs(["--reset", "--data-dir", "/tmp/x", "--port", "3100", "--rpc-port", "18899", "--ledger-port", "13210", "--faucet-port", "19900", "--rebuild", "--skip-program-build", "--verbose"]);
    assert.deepEqual(args.options.ports, { app: 3100, rpc: 18899, ledger: 13210, faucet: 19900 });
    assert.equal(args.options.dataDir, "/tmp/x");
    assert.equal(args.options.reset, true);
    assert.equal(args.options.build, "force");
    assert.equal(args.programBuild, false);
    assert.equal(args.verbose, true);
    assert.deepEqual(parseStartArgs([]).options, { ports: {} });
  });

  it("refuses unknown options and ports out of range", () => {
    usage(() => parseStartArgs(["--bogus"]), /unknown option --bogus/);
    usage(() => parseStartArgs(["--port", "70000"]), /--port expects a port/);
    usage(() => parseStartArgs(["--rpc-port"]), /--rpc-port expects a port/);
    usage(() => parseStartArgs(["--data-dir"]), /--data-dir expects a directory/);
  });
});

describe("npm run e2e's command line", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-args-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("plays on a fresh in-memory chain without --url", () => {
    const args = parseE2EArgs([], dir);
    assert.equal(args.url, null);
    assert.equal(args.noticeSecs, 5n);
    assert.equal(args.json, false);
  });

  it("takes npm start's keys for a local URL when they exist, and the given files otherwise", () => {
    const admin = loadOrCreateKeypair(path.join(dir, "stack", "keys", "admin.json"));
    loadOrCreateKeypair(path.join(dir, "stack", "keys", "billing-authority.json"));
    const local = parseE2EArgs(["--url", "http://127.0.0.1:8899", "--notice-secs", "3", "--json", "--skip-build"], dir);
    assert.equal(local.keypair, path.join(dir, "stack", "keys", "admin.json"));
    assert.equal(local.billingAuthority, path.join(dir, "stack", "keys", "billing-authority.json"));
    assert.deepEqual([local.noticeSecs, local.json, local.skipBuild], [3n, true, true]);
    assert.ok(admin.publicKey instanceof PublicKey);

    const file = path.join(dir, "payer.json");
    fs.copyFileSync(path.join(dir, "stack", "keys", "admin.json"), file);
    const remote = parseE2EArgs(["--url", "https://api.devnet.solana.com", "--keypair", file], dir);
    assert.deepEqual([remote.keypair, remote.billingAuthority], [file, file]);
  });

  it("refuses a bad URL, a missing key file, a notice out of range and unknown options", () => {
    usage(() => parseE2EArgs(["--url", "ftp://x"], dir), /--url expects an http\(s\) URL/);
    usage(() => parseE2EArgs(["--url", "https://api.devnet.solana.com", "--keypair", path.join(dir, "missing.json")], dir), /--keypair: .* does not exist/);
    usage(() => parseE2EArgs(["--notice-secs", "0"], dir), /--notice-secs expects/);
    usage(() => parseE2EArgs(["--notice-secs", "121"], dir), /--notice-secs expects/);
    usage(() => parseE2EArgs(["--verbose"], dir), /unknown option --verbose/);
  });
});

describe("the faucet's requests", () => {
  const wallet = PublicKey.unique().toBase58();

  it("gives 100 USDC and 2 SOL by default and takes amounts as decimal strings or safe integers", () => {
    const d = parseFundRequest({ wallet });
    assert.deepEqual([d.wallet.toBase58(), d.usdc, d.lamports], [wallet, FAUCET_DEFAULTS.usdc, FAUCET_DEFAULTS.lamports]);
    const n = parseFundRequest({ wallet, usdc: "1", lamports: 0 });
    assert.deepEqual([n.usdc, n.lamports], [1n, 0n]);
  });

  it("refuses a missing or malformed wallet, fractional or negative amounts, and amounts over the limit", () => {
    const refused = (body: unknown, status: number, code: string) =>
      assert.throws(() => parseFundRequest(body), (err: unknown) => (err as { status: number; code: string }).status === status && (err as { code: string }).code === code);
    refused(null, 400, "invalid_request");
    refused([wallet], 400, "invalid_request");
    refused({}, 400, "invalid_request");
    refused({ wallet: "0OIl" }, 400, "invalid_request");
    refused({ wallet, usdc: "1.5" }, 400, "invalid_request");
    refused({ wallet, usdc: -1 }, 400, "invalid_request");
    refused({ wallet, lamports: 1e300 }, 400, "invalid_request");
    refused({ wallet, usdc: "10000000001" }, 422, "over_limit");
    refused({ wallet, lamports: "10000000001" }, 422, "over_limit");
  });
});

describe("the stack's building blocks", () => {
  it("hashes the app's sources the same way twice, so a warm start finds its build", () => {
    assert.match(appSourceHash(), /^[0-9a-f]{64}$/);
    assert.equal(appSourceHash(), appSourceHash());
  });

  it("names a port another process holds, and finds free adjacent ports for the chain", async () => {
    const server = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
    try {
      await assert.rejects(claimPort(port, "the app"), (err: unknown) => err instanceof StackError && err.code === "port_in_use" && /the app: port \d+/.test(err.message));
    } finally {
      server.close();
    }
    const pair = await freePortPair();
    assert.equal(await claimPort(pair + 1, "PubSub"), pair + 1);
  });

  it("keeps a child's output in its log file and reports an exit before the ready line", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "child-"));
    try {
      const logFile = path.join(dir, "logs", "child.log");
      const child = startChild({ name: "probe", command: process.execPath, args: ["-e", "console.log('hello'); console.error('oops'); process.exit(3)"], cwd: dir, env: process.env, logFile });
      await assert.rejects(child.waitForLine(/never/, 10_000), (err: unknown) => err instanceof StackError && err.code === "child_exited" && /probe exited \(3\)/.test(err.message));
      assert.match(fs.readFileSync(logFile, "utf8"), /hello\n[^]*oops/);
      assert.match(child.output(), /hello/);

      const ready = startChild({ name: "ready", command: process.execPath, args: ["-e", "console.log('up and ready'); setInterval(() => {}, 1000)"], cwd: dir, env: process.env, logFile: path.join(dir, "logs", "ready.log") });
      assert.equal(await ready.waitForLine(/ready/, 10_000), "up and ready");
      await ready.stop(5_000);
      assert.equal(ready.exited(), true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
