// npm run bench:gateway [-- --rounds 15 --seconds 5 --connections 50 --warmup 5 --skip-build]
//
// What the metering gate costs, measured in one run on this machine with autocannon (from npm) at 50
// connections, alternating A/B over rounds (ABBA order) and reporting medians:
//   (a) a Next.js route handler (the paid verify handler) with and without withBilling (bench/gateway-app);
//   (b) the standalone metering proxy (`npm run gateway`) in front of a trivial upstream, gate on and off —
//       the same proxy code, two processes.
// Everything real: the local chain (simnet over litesvm, the program loaded from target/deploy), the
// embedded ledger (sidecar), a valid API key, ample balance (Startup tier, so requests past the quota are
// priced and reserved), the settler running during the rounds (in each gated server, as in the embedded
// default; the chain indexer is not run — a deployment runs one, elsewhere). The local chain and the
// embedded ledger run at the lowest CPU priority (nice 19): they stand in for Solana and Convex, which in a
// deployment run on other machines, and on this one's two cores their settlement work would otherwise take
// CPU from the servers measured (the gated ones only: the ungated sides settle nothing). The gateways'
// own worker threads run at nice 19 by default (gateway/src/threads/start-worker.ts); everything else the
// rounds run — the servers, the upstream and autocannon — at the usual priority. Afterwards it waits for
// settlement to finish and checks that the chain counts exactly the requests served (2xx answers on the
// gated side, warm-up included). The last line is JSON:
// {"next":{"ungated_rps":N,"gated_rps":N,"ratio":R,"ungated_p99_ms":N,"gated_p99_ms":N},"proxy":{…},"served":N,"settled":N}
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, promises as fsp, existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { AnchorProvider } from "@coral-xyz/anchor";
import { ed25519 } from "@noble/curves/ed25519";
import { getBase58Decoder } from "@solana/kit";
import { createAccount, createMint, mintTo } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, type PublicKey } from "@solana/web3.js";
import { PrepaidBillingClient } from "../sdk/src/client";
import { PROGRAM_ID, USDC } from "../sdk/src/constants";
import { api, createLedgerClient } from "../ledger/client";
import { startSidecarProcess, type SidecarProcess } from "../ledger/start-sidecar";
import { keypairWallet } from "../gateway/src/runtime-settings";
import { buildGateway, COMPILED_DIR } from "../gateway/build";

const repoRoot = path.resolve(__dirname, "..");
const SO_PATH = path.join(repoRoot, "target", "deploy", "prepaid_billing.so");
/** CPU priority of the local chain and the embedded ledger (see the top of this file): the lowest. */
const STAND_IN_NICE = 19;

interface Args {
  rounds: number;
  seconds: number;
  connections: number;
  /** Seconds of load per target before the rounds, once it answers: settlement and JIT reach steady state. */
  warmup: number;
  skipBuild: boolean;
  /** Measure only one side (for investigation; the JSON line then shows 0 for the other). */
  only: "next" | "proxy" | null;
}

function parseArgs(argv: string[]): Args {
  // Fifteen rounds, not the minimum three: the machine's own speed wanders. A single thread hashing alone on
  // the idle machine ran at 0.70–1.00 of its best rate from one half second to the next, with a spread
  // (standard deviation) of 8 % between 5-second windows, and a side's rate under load spreads ~15 % between
  // rounds. The spread of a ratio of two medians of n rounds is then ~1.25 × √2 × 15 % / √n: ~10 % with
  // seven rounds, as large as the gaps the targets allow, and ~7 % with fifteen (each round adds ~25 s).
  const a: Args = { rounds: 15, seconds: 5, connections: 50, warmup: 5, skipBuild: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === "--rounds") (a.rounds = Number(v)), i++;
    else if (argv[i] === "--seconds") (a.seconds = Number(v)), i++;
    else if (argv[i] === "--connections") (a.connections = Number(v)), i++;
    else if (argv[i] === "--warmup") (a.warmup = Number(v)), i++;
    else if (argv[i] === "--skip-build") a.skipBuild = true;
    else if (argv[i] === "--only" && (v === "next" || v === "proxy")) (a.only = v), i++;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!(a.rounds >= 1 && a.seconds >= 1 && a.connections >= 1)) throw new Error("rounds, seconds and connections must be positive");
  if (!(a.warmup >= 0)) throw new Error("warmup must be zero or more seconds");
  return a;
}

const children: ChildProcess[] = [];
const named = new Map<string, ChildProcess>();
/** JSON event lines the children printed, by child name. */
const events = new Map<string, Record<string, unknown>[]>();
let stopping = false;
/** Children stopped on purpose before the end. */
const stoppedOnPurpose = new Set<ChildProcess>();

/** CPU seconds (user + system) a process (or, with `thread`, one of its threads) has used so far, from /proc. */
async function cpuSeconds(pid: number | undefined, thread?: number): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await fsp.readFile(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, "utf8").catch(() => "");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
}

/**
 * Seconds a thread has waited, runnable, for a core so far (the second field of Linux's schedstat, ns): on two
 * busy cores the proxy's request thread loses time so to the machine's other threads, beside its own CPU.
 */
async function runQueueSeconds(pid: number | undefined, thread: number | undefined): Promise<number> {
  if (pid === undefined || thread === undefined) return 0;
  const stat = await fsp.readFile(`/proc/${pid}/task/${thread}/schedstat`, "utf8").catch(() => "");
  const waited = Number(stat.split(" ")[1]);
  return Number.isFinite(waited) ? waited / 1e9 : 0;
}

/**
 * CPU seconds of each named child, of its main thread (under `mainThread(name)`: the one that runs the
 * request path, so it bounds the rate), that thread's wait for a core (under `mainThreadWait(name)`) and,
 * under MACHINE, of the whole machine (every core, not idle), from /proc.
 */
async function cpuSnapshot(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [name, c] of named) {
    out.set(name, await cpuSeconds(c.pid));
    out.set(mainThread(name), await cpuSeconds(c.pid, c.pid));
    out.set(mainThreadWait(name), await runQueueSeconds(c.pid, c.pid));
  }
  // The first line of /proc/stat: user nice system idle iowait irq softirq steal …, in clock ticks (100/s).
  const t = (await fsp.readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  out.set(MACHINE, (t[0]! + t[1]! + t[2]! + t[5]! + t[6]! + t[7]!) / 100);
  return out;
}
const MACHINE = "(machine)";
const mainThread = (name: string) => `${name} main thread`;
const mainThreadWait = (name: string) => `${name} main thread waiting for a core`;

/** Spawns a child whose stdout is scanned for `ready`; resolves with the first match. */
function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 120_000) {
  const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  // Background errors the gateway reports are worth seeing in the bench's output.
  // For investigation: BENCH_LINES_DIR=<dir> keeps every child's stdout (e.g. --trace-gc's lines) in <dir>/<name>.log.
  const keep = process.env.BENCH_LINES_DIR ? createWriteStream(path.join(process.env.BENCH_LINES_DIR, `${name.replace(/[^\w-]+/g, "_")}.log`)) : null;
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    keep?.write(`${Date.now()} ${line}\n`);
    if (/"(background_error|chain_poll_slow|status)"/.test(line)) console.log(`[${name}] ${line}`);
    if (line.startsWith("{")) {
      try {
        events.set(name, [...(events.get(name) ?? []), JSON.parse(line) as Record<string, unknown>]);
      } catch {
        // not an event line
      }
    }
  });
  named.set(name, child);
  let tail = "";
  child.stderr!.on("data", (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  child.on("exit", (code, signal) => {
    if (!stopping && !stoppedOnPurpose.has(child)) console.error(`[bench] ${name} exited unexpectedly (${code ?? signal})\n${tail}`);
  });
  return new Promise<{ child: ChildProcess; match: RegExpExecArray }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready within ${timeoutMs} ms\n${tail}`)), timeoutMs);
    child.on("exit", (code) => reject(new Error(`${name} exited with ${code}\n${tail}`)));
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = ready.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  stoppedOnPurpose.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(port = 0): Promise<number | null> {
  const srv = net.createServer();
  const ok = await new Promise<boolean>((r) => {
    srv.once("error", () => r(false));
    srv.listen(port, "127.0.0.1", () => r(true));
  });
  if (!ok) return null;
  const { port: got } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return got;
}

/** A free port whose successor is free too: web3.js looks for PubSub at the RPC port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = (await freePort())!;
    if (p < 65535 && (await freePort(p + 1)) !== null) return p;
  }
}

interface Run {
  rps: number;
  p99: number;
  ok: number;
  other: number;
  /** Non-2xx answers by status, errors, timeouts. */
  codes: string;
}

/** One autocannon run in its own process (so it does not share an event loop with what it measures). */
async function autocannon(url: string, o: { seconds: number; connections: number; method?: string; body?: string; headers: Record<string, string> }): Promise<Run> {
  const args = [path.join(repoRoot, "node_modules", "autocannon", "autocannon.js"), "-j", "-c", String(o.connections), "-d", String(o.seconds)];
  if (o.method) args.push("-m", o.method);
  if (o.body) args.push("-b", o.body);
  for (const [k, v] of Object.entries(o.headers)) args.push("-H", `${k}=${v}`);
  args.push(url);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  if (code !== 0) throw new Error(`autocannon failed: ${stderr}`);
  const j = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p99: number };
    "2xx": number;
    non2xx: number;
    errors: number;
    timeouts: number;
    statusCodeStats?: Record<string, { count: number }>;
  };
  const codes = Object.entries(j.statusCodeStats ?? {})
    .filter(([code]) => !code.startsWith("2"))
    .map(([code, v]) => `${code}×${v.count}`);
  if (j.errors) codes.push(`errors×${j.errors}`);
  if (j.timeouts) codes.push(`timeouts×${j.timeouts}`);
  return { rps: j.requests.average, p99: j.latency.p99, ok: j["2xx"], other: j.non2xx + j.errors + j.timeouts, codes: codes.join(" ") };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "bench-gateway-"));
  const log = (msg: string) => console.log(`[bench] ${msg}`);
  let sidecar: SidecarProcess | null = null;
  try {
    if (!existsSync(SO_PATH)) {
      log("building the program");
      if (spawnSync("npm", ["run", "-s", "build:program"], { cwd: repoRoot, stdio: "inherit" }).status !== 0) throw new Error("build:program failed");
    }
    if (!args.skipBuild || !existsSync(path.join(repoRoot, "bench", "gateway-app", ".next", "BUILD_ID"))) {
      log("building the Next.js bench app");
      const b = spawnSync(process.execPath, [path.join(repoRoot, "node_modules", "next", "dist", "bin", "next"), "build", "bench/gateway-app"], { cwd: repoRoot, encoding: "utf8" });
      if (b.status !== 0) throw new Error(`next build failed:\n${b.stdout}\n${b.stderr}`);
      await fsp.rm(path.join(repoRoot, "bench", "gateway-app", "next-env.d.ts"), { force: true });
    }

    // Chain and ledger.
    const rpcPort = await freePortPair();
    const simnet = await start(
      "simnet",
      "nice",
      ["-n", String(STAND_IN_NICE), process.execPath, "--import", "tsx", "simnet/main.ts", "--memory", "--port", String(rpcPort), "--ws-port", String(rpcPort + 1), "--bpf-program", PROGRAM_ID.toBase58(), SO_PATH],
      {},
      /RPC (http:\/\/\S+)/,
    );
    const rpcUrl = simnet.match[1]!;
    sidecar = await startSidecarProcess({ dataDir: path.join(tmp, "ledger"), crons: false, nice: STAND_IN_NICE });
    named.set("ledger", sidecar.child);
    const ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
    log(`simnet ${rpcUrl}, ledger ${sidecar.url}`);

    const connection = new Connection(rpcUrl, "confirmed");
    const airdrop = async (to: PublicKey) => {
      const sig = await connection.requestAirdrop(to, 100 * LAMPORTS_PER_SOL);
      await connection.confirmTransaction(sig, "confirmed");
    };
    const admin = Keypair.generate();
    const billingAuthority = Keypair.generate();
    await airdrop(admin.publicKey);
    await airdrop(billingAuthority.publicKey);
    const client = new PrepaidBillingClient(new AnchorProvider(connection, keypairWallet(admin), { commitment: "confirmed" }));
    const mint = await createMint(connection, admin, admin.publicKey, null, 6);
    const treasury = await createAccount(connection, admin, mint, Keypair.generate().publicKey);
    const stakerPool = await createAccount(connection, admin, mint, Keypair.generate().publicKey);
    await client.initializeConfig({ admin: admin.publicKey, usdcMint: mint, treasury, stakerPool, billingAuthority: billingAuthority.publicKey });

    const openTeam = async (name: string) => {
      const owner = Keypair.generate();
      await airdrop(owner.publicKey);
      const ownerToken = await createAccount(connection, admin, mint, owner.publicKey);
      await mintTo(connection, admin, mint, ownerToken, admin, 1_000_000n * USDC);
      const ownerClient = new PrepaidBillingClient(new AnchorProvider(connection, keypairWallet(owner), { commitment: "confirmed" }));
      await ownerClient.createTeamAccount({ owner: owner.publicKey, tier: 0, usdcMint: mint });
      await ownerClient.depositFunds({ depositor: owner.publicKey, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 100_000n * USDC });
      const wallet = owner.publicKey.toBase58();
      const { teamId } = await ledger.as(wallet).mutation(api.teams.create, {
        name,
        tier: 0,
        chainTeam: client.teamAddress(owner.publicKey).toBase58(),
        vault: client.vaultAddress(owner.publicKey).toBase58(),
      });
      const { key } = await ledger.as(wallet).mutation(api.apiKeys.create, { teamId, name: "bench" });
      return { owner: owner.publicKey, key };
    };
    const nextTeam = await openTeam("Bench Next");
    const proxyTeam = await openTeam("Bench proxy");
    const authorityFile = path.join(tmp, "billing-authority.json");
    await fsp.writeFile(authorityFile, JSON.stringify(Array.from(billingAuthority.secretKey)));
    const runtimeEnv = {
      SOLANA_RPC_URL: rpcUrl,
      BILLING_AUTHORITY_KEYPAIR: authorityFile,
      PREPAID_BILLING_PROGRAM_ID: PROGRAM_ID.toBase58(),
      LEDGER_URL: sidecar.url,
      LEDGER_SERVER_SECRET: sidecar.serverSecret,
    };

    // The trivial upstream and the two proxies (same code, gate on and off).
    const upstream = await start(
      "upstream",
      process.execPath,
      ["-e", `const s=require("http").createServer((q,r)=>{q.resume();q.on("end",()=>{r.setHeader("content-type","application/json");r.end('{"verified":true}')})});s.listen(0,"127.0.0.1",()=>console.log("upstream "+s.address().port))`],
      {},
      /upstream (\d+)/,
    );
    const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
    const ABOVE_LOAD = { ratePerSec: 1_000_000, burst: 1_000_000 };
    const proxyConfig = (gate: boolean) => ({
      listen: { host: "127.0.0.1", port: 0 },
      gate,
      routes: [{ path: "/api/v1/verify", upstream: upstreamUrl }],
      usageLog: { dir: path.join(tmp, "proxy-usage") },
      gateOptions: { rateLimits: [ABOVE_LOAD, ABOVE_LOAD, ABOVE_LOAD] },
      // A deployment runs one indexer; the measured gateways run none (the settler runs in both).
      indexer: false,
    });
    const proxies: Record<"on" | "off", string> = { on: "", off: "" };
    const compiledProxy = await buildGateway(); // what `npm run gateway` runs
    for (const mode of ["on", "off"] as const) {
      const file = path.join(tmp, `proxy-${mode}.json`);
      await fsp.writeFile(file, JSON.stringify(proxyConfig(mode === "on")));
      // For investigation: BENCH_PROFILE_DIR=<dir> writes CPU profiles of both proxies to <dir>/on and <dir>/off;
      // BENCH_NODE_FLAGS="<flags>" starts both proxies with extra node flags (e.g. --perf-basic-prof for perf).
      const profile = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}/${mode}`] : [];
      const p = await start(`proxy (gate ${mode})`, process.execPath, [...profile, ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ") : []), compiledProxy, "--config", file], { ...runtimeEnv, GATEWAY_STATUS_MS: process.env.BENCH_STATUS_MS ?? "0" }, /"url":"(http:\/\/[^"]+)"/);
      proxies[mode] = `${p.match[1]}/api/v1/verify`;
    }

    // The Next.js app (gated and ungated routes in one server).
    const nextPort = (await freePort())!;
    await start(
      "next",
      process.execPath,
      [path.join(repoRoot, "node_modules", "next", "dist", "bin", "next"), "start", "bench/gateway-app", "-p", String(nextPort), "-H", "127.0.0.1"],
      // The gate's worker threads start from the compiled gateway (built above for the proxies), as under `npm start`.
      { ...runtimeEnv, GATEWAY_USAGE_DIR: path.join(tmp, "next-usage"), GATEWAY_WORKERS_DIR: COMPILED_DIR, NODE_ENV: "production" },
      /Ready|started server|Local:/,
    );
    const nextBase = `http://127.0.0.1:${nextPort}/api/bench`;

    const secret = ed25519.utils.randomPrivateKey();
    const b58 = getBase58Decoder();
    const message = "bench: verify this signature";
    const body = JSON.stringify({
      message,
      signature: b58.decode(ed25519.sign(new TextEncoder().encode(message), secret)),
      publicKey: b58.decode(ed25519.getPublicKey(secret)),
    });
    const targets = {
      nextUngated: { url: `${nextBase}/ungated`, method: "POST", body, headers: { "content-type": "application/json" } },
      nextGated: { url: `${nextBase}/gated`, method: "POST", body, headers: { "content-type": "application/json", authorization: `Bearer ${nextTeam.key}` } },
      proxyUngated: { url: proxies.off, headers: { "x-api-key": proxyTeam.key } },
      proxyGated: { url: proxies.on, headers: { "x-api-key": proxyTeam.key } },
    };
    const run = async (name: keyof typeof targets, seconds: number) => {
      const t = targets[name];
      // A sampler beside the load: one request every 250 ms, keeping the first non-2xx answer to show.
      const init = "method" in t ? { method: t.method, body: t.body, headers: t.headers } : { headers: t.headers };
      let sampling = true;
      let refusal: string | null = null;
      const sampler = (async () => {
        while (sampling) {
          const res = await fetch(t.url, init).catch((e: unknown) => e as Error);
          const text = res instanceof Error ? res.message : res.status >= 300 ? `${res.status} ${(await res.text()).slice(0, 240)}` : (await res.text(), null);
          refusal ??= text;
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const r = await autocannon(t.url, { seconds, connections: args.connections, ...t });
      sampling = false;
      await sampler;
      if (r.other > 0 && refusal) log(`${name}: not all answers were 2xx; one said: ${refusal}`);
      return r;
    };

    log("warming up");
    for (const name of Object.keys(targets) as (keyof typeof targets)[]) {
      if ((args.only === "next" && name.startsWith("proxy")) || (args.only === "proxy" && name.startsWith("next"))) continue;
      // The first gated request starts the gate's runtime (usage log, chain and ledger clients): retry until served.
      let ok = 0;
      for (let attempt = 0; attempt < 20 && ok === 0; attempt++) ok = (await run(name, 2)).ok;
      if (ok === 0) throw new Error(`${name}: no successful answer during warm-up`);
      // The gated side runs more code (settlement, ledger and chain clients) that the JIT compiles during its
      // first seconds of load; the rounds measure both sides warm.
      if (args.warmup > 0) await run(name, args.warmup);
    }

    if (args.only !== "proxy") {
      const stats = (await (await fetch(`${nextBase}/stats`)).json()) as { clients: string | null };
      log(`Next gate: chain and ledger clients ${stats.clients ?? "unknown"} (io-thread: off the request thread)`);
    }

    const results: Record<keyof typeof targets, Run[]> = { nextUngated: [], nextGated: [], proxyUngated: [], proxyGated: [] };
    // CPU time (all threads) of the server that answered a round, per answer, µs: what the gate costs per
    // request, steadier than the rate on a machine whose every core is busy (the Next.js server serves
    // both of its routes, so its figure includes the gated route's settlement work in ungated rounds).
    const serverOf: Record<keyof typeof targets, string> = { nextUngated: "next", nextGated: "next", proxyUngated: "proxy (gate off)", proxyGated: "proxy (gate on)" };
    const cpuPerRequest: Record<keyof typeof targets, number[]> = { nextUngated: [], nextGated: [], proxyUngated: [], proxyGated: [] };
    // The same for the server's main thread alone: a proxy's rate is bound by it (its worker threads do the
    // settlement work beside it).
    const mainCpuPerRequest: Record<keyof typeof targets, number[]> = { nextUngated: [], nextGated: [], proxyUngated: [], proxyGated: [] };
    // The same over what the rest of the machine spent per answer in that round (autocannon and the kernel's
    // network work, about the same for either side), which follows the machine's own speed: that speed moves
    // the rate by ±25 % between rounds here and this quotient far less, so its gated/ungated ratio is a
    // steadier reading of what the gate costs the proxy, reported beside the rates, not instead of them.
    // Not for Next: at its few hundred answers per second autocannon spends most of its CPU per answer waking
    // up, more when answers come further apart, so the quotient reads low for the slower side (it once put
    // the Next gate at −4 %).
    const relativeCost: Record<keyof typeof targets, number[]> = { nextUngated: [], nextGated: [], proxyUngated: [], proxyGated: [] };
    // The share of the round's wall time the server's main thread waited, runnable, for a core, %.
    const mainWaitPercent: Record<keyof typeof targets, number[]> = { nextUngated: [], nextGated: [], proxyUngated: [], proxyGated: [] };
    for (let round = 1; round <= args.rounds; round++) {
      // ABBA: the order flips every round so drift in the machine's load does not favour one side.
      const pairs: [keyof typeof targets, keyof typeof targets][] = [];
      if (args.only !== "proxy") pairs.push(["nextUngated", "nextGated"]);
      if (args.only !== "next") pairs.push(["proxyUngated", "proxyGated"]);
      for (const [a, b] of pairs) {
        for (const name of round % 2 === 1 ? [a, b] : [b, a]) {
          const before = await cpuSnapshot();
          const startedAt = performance.now();
          const r = await run(name, args.seconds);
          const after = await cpuSnapshot();
          const wallSeconds = (performance.now() - startedAt) / 1000;
          results[name].push(r);
          const server = serverOf[name];
          const perRequest = ((after.get(server)! - before.get(server)!) * 1e6) / Math.max(1, r.ok + r.other);
          cpuPerRequest[name].push(perRequest);
          const spent = (n: string) => after.get(n)! - before.get(n)!;
          const rest = spent(MACHINE) - [...named.keys()].reduce((sum, n) => sum + spent(n), 0);
          const restPerRequest = (rest * 1e6) / Math.max(1, r.ok + r.other);
          const mainPerRequest = (spent(mainThread(server)) * 1e6) / Math.max(1, r.ok + r.other);
          mainCpuPerRequest[name].push(mainPerRequest);
          relativeCost[name].push(perRequest / restPerRequest);
          const waitPercent = (spent(mainThreadWait(server)) / wallSeconds) * 100;
          mainWaitPercent[name].push(waitPercent);
          const cpu = [...after].filter(([n]) => named.has(n)).map(([n, t]) => `${n} ${(t - (before.get(n) ?? 0)).toFixed(1)}`).join(", ");
          log(`round ${round} ${name.padEnd(12)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${String(r.p99).padStart(4)} ms  ${perRequest.toFixed(0).padStart(4)} µs cpu/req (main thread ${mainPerRequest.toFixed(0)}, waited for a core ${waitPercent.toFixed(1)} %; rest of the machine ${restPerRequest.toFixed(0)})  ${r.other ? `not 2xx: ${r.codes}  ` : ""}cpu s: ${cpu}`);
        }
      }
    }

    // Served = usage entries the gateways committed (autocannon drops the answers still in flight when a run
    // ends, though they were served and billed). Settlement runs on; wait for it, then count on chain.
    log("waiting for settlement to finish");
    const deadline = Date.now() + 180_000;
    type Stats = { served: number; unsettled: number | null };
    let nextStats: Stats = { served: 0, unsettled: null };
    for (; args.only !== "proxy"; ) {
      nextStats = (await (await fetch(`${nextBase}/stats`)).json()) as Stats;
      if (nextStats.unsettled === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // Stopping the gated proxy settles what it still holds (runtime close) and reports its counts.
    await stop(named.get("proxy (gate on)")!);
    const stopped = (events.get("proxy (gate on)") ?? []).find((e) => e.event === "stopped") ?? {};
    const proxyStats: Stats = { served: Number(stopped.served ?? 0), unsettled: Number(stopped.unsettled ?? -1) };
    const teams = await client.fetchTeams([nextTeam.owner, proxyTeam.owner]);
    const settled = { next: Number(teams[0]!.periodRequests), proxy: Number(teams[1]!.periodRequests) };
    const served = { next: nextStats.served, proxy: proxyStats.served };
    log(`Next:  served ${served.next}, on chain ${settled.next}, unsettled ${nextStats.unsettled}`);
    log(`proxy: served ${served.proxy}, on chain ${settled.proxy}, unsettled ${proxyStats.unsettled}`);

    const summary = (a: Run[], b: Run[]) => {
      if (a.length === 0) return { ungated_rps: 0, gated_rps: 0, ratio: 0, ungated_p99_ms: 0, gated_p99_ms: 0 };
      const ungated = median(a.map((r) => r.rps));
      const gated = median(b.map((r) => r.rps));
      return {
        ungated_rps: Math.round(ungated),
        gated_rps: Math.round(gated),
        ratio: Math.round((gated / ungated) * 1000) / 1000,
        ungated_p99_ms: median(a.map((r) => r.p99)),
        gated_p99_ms: median(b.map((r) => r.p99)),
      };
    };
    const out = {
      next: summary(results.nextUngated, results.nextGated),
      proxy: summary(results.proxyUngated, results.proxyGated),
      served: served.next + served.proxy,
      settled: settled.next + settled.proxy,
    };
    for (const [side, a, b] of [["Next: ", "nextUngated", "nextGated"], ["proxy:", "proxyUngated", "proxyGated"]] as const) {
      if (cpuPerRequest[a].length === 0) continue;
      const per = (k: keyof typeof targets) => median(cpuPerRequest[k]).toFixed(0);
      const ratios = results[a].map((r, i) => (results[b][i]!.rps / r.rps).toFixed(2)).join(" ");
      const main = (k: keyof typeof targets) => median(mainCpuPerRequest[k]).toFixed(1);
      const wait = (k: keyof typeof targets) => median(mainWaitPercent[k]).toFixed(1);
      log(`${side} server CPU per request (median, µs) ungated ${per(a)}, gated ${per(b)} (main thread ${main(a)}, ${main(b)}; it waited for a core ${wait(a)} and ${wait(b)} % of the time); gated/ungated rate by round: ${ratios}`);
      if (side !== "proxy:") continue;
      const relative = median(relativeCost[b]) / median(relativeCost[a]);
      log(`${side} server CPU per request over the rest of the machine's (median) ungated ${median(relativeCost[a]).toFixed(2)}, gated ${median(relativeCost[b]).toFixed(2)}: the gate costs the server ${((relative - 1) * 100).toFixed(1)} % more per request`);
    }
    log(`Next:  gated/ungated ${out.next.ratio} (target ≥ 0.9)`);
    log(`proxy: gated/ungated ${out.proxy.ratio} (target ≥ 0.85), p99 +${out.proxy.gated_p99_ms - out.proxy.ungated_p99_ms} ms (target ≤ 2)`);
    log(`settled ${out.settled} of ${out.served} served (on-chain request count)`);
    console.log(JSON.stringify(out));
  } finally {
    stopping = true;
    for (const c of children.reverse()) await stop(c);
    await sidecar?.stop();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    for (const c of children) c.kill("SIGKILL");
    process.exit(1);
  },
);
