// `npm start`: the whole product on this machine (scripts/stack/stack.ts) — the program built, the local
// chain, the deployment, the ledger, the demo teams, the faucet and the app — then the URLs, the demo API
// key and two checked curl commands. Ctrl-C (SIGINT) or SIGTERM stops every child process. Run through
// scripts/bootstrap.cjs, which has already made node_modules match the lock.
//
//   npm start [-- --reset] [--data-dir .data] [--port 3000] [--rpc-port 8899] [--ledger-port 3210]
//             [--faucet-port 9900] [--dist-dir .next] [--rebuild] [--skip-program-build] [--verbose]
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { readKeypairFile } from "./stack/keys";
import { asCurl, send, verifyRequest } from "./stack/demo-requests";
import { StackError } from "./stack/errors";
import { DEFAULT_DATA_DIR, REPO_ROOT } from "./stack/paths";
import { DEFAULT_PORTS, startStack, type StackHandle, type StackOptions } from "./stack/stack";

const USAGE = `usage: npm start [-- options]
  --reset               start afresh: a new chain, ledger, usage log and demo teams (keys are kept)
  --data-dir <dir>      where everything persists (default .data)
  --port <n>            the app: dashboard and paid API (default ${DEFAULT_PORTS.app})
  --rpc-port <n>        the local chain's JSON-RPC; PubSub on the next port (default ${DEFAULT_PORTS.rpc})
  --ledger-port <n>     the ledger sidecar (default ${DEFAULT_PORTS.ledger})
  --faucet-port <n>     the faucet (default ${DEFAULT_PORTS.faucet})
  --dist-dir <dir>      where the app's build goes, relative to the repository (default .next)
  --rebuild             run next build even when the app's sources did not change
  --skip-program-build  use target/deploy/prepaid_billing.so as it is
  --verbose             print every child process's output`;

interface Args {
  options: StackOptions;
  programBuild: boolean;
  verbose: boolean;
}

export function parseStartArgs(argv: readonly string[]): Args {
  const options: StackOptions = { ports: {} };
  let programBuild = true;
  let verbose = false;
  const port = (v: string | undefined, flag: string) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 1 || n > 65535) throw new StackError("usage", `${flag} expects a port (1-65535)`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => argv[++i];
    switch (flag) {
      case "--reset":
        options.reset = true;
        break;
      case "--data-dir": {
        const dir = next();
        if (!dir) throw new StackError("usage", "--data-dir expects a directory");
        options.dataDir = path.resolve(dir);
        break;
      }
      case "--port":
        options.ports!.app = port(next(), flag);
        break;
      case "--rpc-port":
        options.ports!.rpc = port(next(), flag);
        break;
      case "--ledger-port":
        options.ports!.ledger = port(next(), flag);
        break;
      case "--faucet-port":
        options.ports!.faucet = port(next(), flag);
        break;
      case "--dist-dir": {
        const dir = next();
        if (!dir || path.isAbsolute(dir)) throw new StackError("usage", "--dist-dir expects a directory relative to the repository");
        options.distDir = dir;
        break;
      }
      case "--rebuild":
        options.build = "force";
        break;
      case "--skip-program-build":
        programBuild = false;
        break;
      case "--verbose":
        verbose = true;
        break;
      default:
        throw new StackError("usage", `unknown option ${flag}`);
    }
  }
  return { options, programBuild, verbose };
}

async function printBanner(stack: StackHandle): Promise<void> {
  const rel = (p: string) => path.relative(process.cwd(), p) || ".";
  const lines = [
    "",
    `The product runs on this machine (ready in ${stack.timings.total.toFixed(1)} s; data in ${rel(stack.paths.root)}/):`,
    "",
    `  dashboard     ${stack.appUrl}`,
    `  paid API      ${stack.appUrl}/api/v1/verify (1 unit), ${stack.appUrl}/api/v1/batch/verify (1 unit per item)`,
    `  billing gate  ${stack.appUrl}/api/health  (200 ok/degraded, 503 unavailable)`,
    `  local chain   ${stack.rpcUrl}  (PubSub ${stack.wsUrl})`,
    `  ledger        ${stack.ledgerUrl}`,
    `  faucet        ${stack.faucetUrl}  (POST /fund {"wallet":"<address>"}: 100 USDC + 2 SOL; docs/local-stack.md)`,
    `  program       ${stack.deployment.programId}`,
    `  USDC mint     ${stack.deployment.usdcMint} (local, 6 decimals)`,
  ];
  const demo = stack.demo;
  if (demo) {
    const owner = readKeypairFile(demo.funded.ownerKeyFile);
    const ok = verifyRequest(stack.appUrl, demo.funded.apiKey, owner, "alice");
    const refused = verifyRequest(stack.appUrl, demo.unfunded.apiKey, owner);
    // Both requests are sent once here, so what is printed is known to work.
    const [okAnswer, refusedAnswer] = [await send(ok), await send(refused)];
    const billing = Object.entries(okAnswer.headers)
      .filter(([k]) => k.startsWith("x-billing") || k.startsWith("x-ratelimit"))
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ");
    lines.push(
      "",
      `Demo team (Startup; 100 USDC deposited, 50 USDC base fee paid; members ${demo.funded.userIds.join(", ")})`,
      `  owner wallet  ${demo.funded.owner}  (key file ${rel(demo.funded.ownerKeyFile)})`,
      `  API key       ${demo.funded.apiKey}`,
      "",
      `A paid request, served (checked just now: ${okAnswer.status} ${okAnswer.body}; ${billing}):`,
      `  ${asCurl(ok)}`,
      "",
      `The unfunded demo team's key: 402 Payment Required, PAYMENT-REQUIRED says what to deposit (checked just now: ${refusedAnswer.status}):`,
      `  ${asCurl(refused)}`,
    );
    if (okAnswer.status !== 200 || refusedAnswer.status !== 402) {
      lines.push("", `warning: expected 200 and 402, got ${okAnswer.status} and ${refusedAnswer.status}`);
    }
  }
  lines.push("", "Ctrl-C stops everything.", "");
  console.log(lines.join("\n"));
}

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  // With the terminal or the reading end gone, printing must not crash the stop of the children.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  let args: Args;
  try {
    args = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof StackError) {
      console.error(`npm start: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }

  if (args.programBuild) {
    // Installs Debian's compilers and the toolchain cache on a fresh machine; quick when nothing changed.
    console.log("=== build:program ===");
    const built = spawnSync("npm", ["run", "-s", "build:program"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }

  const abort = new AbortController();
  let starting: Promise<StackHandle> | null = null;
  let stopping: Promise<void> | null = null;
  let firstSignalAt = 0;
  const shutdown = (why: string, code: number) => {
    if (stopping) {
      // Ctrl-C reaches every process of the terminal's group, and wrappers (npm, bootstrap, tsx) pass
      // signals on too: copies of the first one arrive within moments. A signal well after it forces the exit.
      if (Date.now() - firstSignalAt < 3_000) return;
      console.error("a second signal: exiting at once");
      process.exit(130);
    }
    firstSignalAt = Date.now();
    console.log(`\n${why}: stopping…`);
    abort.abort(); // a start in progress stops its build and what it started, then rejects
    const stack = starting ?? Promise.reject(new Error("not started"));
    stopping = stack.then(
      (s) => s.stop(),
      () => undefined,
    ).then(() => {
      console.log("stopped");
      process.exit(code);
    });
  };
  process.on("SIGINT", () => shutdown("SIGINT", 0));
  process.on("SIGTERM", () => shutdown("SIGTERM", 0));

  console.log(`=== stack (data in ${path.relative(process.cwd(), args.options.dataDir ?? DEFAULT_DATA_DIR) || "."}) ===`);
  starting = startStack({
    ...args.options,
    signal: abort.signal,
    log: (line) => console.log(line),
    onChildLine: args.verbose ? (name, line) => console.log(`[${name}] ${line}`) : undefined,
  });
  let stack: StackHandle;
  try {
    stack = await starting;
  } catch (err) {
    if (stopping) return; // a signal arrived during the start; shutdown() exits
    const code = err instanceof StackError ? ` [${err.code}]` : "";
    console.error(`\nnpm start failed${code}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  if (stopping) return; // shutdown() stops the stack it now has
  await printBanner(stack);
  const crash = await stack.crashed;
  if (stopping) return;
  console.error(`\n${crash.name} stopped unexpectedly:\n${crash.output.trim()}`);
  shutdown(`${crash.name} exited`, 1);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
