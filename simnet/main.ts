// The local chain as a process:
//   npx tsx simnet/main.ts [--port 8899] [--ws-port 8900] [--ledger-dir .data/simnet] [--reset]
//                          [--host 127.0.0.1] [--slot-ms 400] [--bpf-program <address> <file.so>]… [--memory]
// Prints one line when it serves ("simnet ready …"), stops cleanly on SIGINT/SIGTERM (journal flushed,
// head saved, lock released).
import path from "node:path";
import { PublicKey } from "@solana/web3.js";
import { startSimnet, type SimnetOptions } from "./server";

const USAGE = `usage: npx tsx simnet/main.ts [options]
  --port <n>                   HTTP JSON-RPC port (default 8899; 0 = any free port)
  --ws-port <n>                PubSub WebSocket port (default: HTTP port + 1)
  --host <ip>                  interface to bind (default 127.0.0.1)
  --ledger-dir <dir>           where the chain persists (default .data/simnet in the repository)
  --memory                     keep the chain in memory only (nothing persists)
  --reset                      start a new chain in the ledger directory
  --slot-ms <n>                slot length in milliseconds (default 400)
  --bpf-program <addr> <file>  load an SBF program directly at <addr> (repeatable)`;

export const DEFAULT_LEDGER_DIR = path.resolve(__dirname, "..", ".data", "simnet");

class UsageError extends Error {}

function integer(value: string | undefined, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} expects an integer in [${min}, ${max}]`);
  return n;
}

export function parseArgs(argv: readonly string[]): SimnetOptions & { help?: boolean } {
  const options: SimnetOptions & { help?: boolean } = { ledgerDir: DEFAULT_LEDGER_DIR, programs: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => argv[++i];
    switch (flag) {
      case "--port":
        options.port = integer(next(), flag, 0, 65535);
        break;
      case "--ws-port":
        options.wsPort = integer(next(), flag, 0, 65535);
        break;
      case "--host":
        options.host = next();
        if (!options.host) throw new UsageError("--host expects an address");
        break;
      case "--ledger-dir": {
        const dir = next();
        if (!dir) throw new UsageError("--ledger-dir expects a directory");
        options.ledgerDir = path.resolve(dir);
        break;
      }
      case "--memory":
        options.ledgerDir = null;
        break;
      case "--reset":
        options.reset = true;
        break;
      case "--slot-ms":
        options.slotMs = integer(next(), flag, 10, 60_000);
        break;
      case "--bpf-program": {
        const programId = next();
        const soPath = next();
        if (!programId || !soPath) throw new UsageError("--bpf-program expects <address> <file.so>");
        try {
          new PublicKey(programId);
        } catch {
          throw new UsageError(`--bpf-program: ${programId} is not an address`);
        }
        options.programs?.push({ programId, soPath: path.resolve(soPath) });
        break;
      }
      case "--help":
      case "-h":
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`simnet: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    throw e;
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => console.error(`simnet: ${line}`);
  const simnet = await startSimnet({ ...options, log });
  const ledger = options.ledgerDir ? `ledger ${path.relative(process.cwd(), options.ledgerDir) || "."}` : "in memory";
  const replayed = simnet.replay.transactions + simnet.replay.programs;
  console.log(
    `simnet ready: RPC ${simnet.rpcUrl}  PubSub ${simnet.wsUrl}  ${ledger}` +
      (replayed ? ` (replayed ${simnet.replay.transactions} transactions in ${simnet.replay.ms} ms)` : "") +
      `  slot ${simnet.chain.slot}`,
  );

  // Output must never be what stops the chain: when whoever read stdout/stderr is gone (EPIPE), lines are
  // dropped instead of raising errors (which the handler below would try to print again).
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  // A bug in one request must not take the chain down: report it and keep serving.
  process.on("uncaughtException", (e) => log(`uncaught: ${e.stack ?? e.message}`));
  process.on("unhandledRejection", (e) => log(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    simnet.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log(`stop failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`simnet: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
