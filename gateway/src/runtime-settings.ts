// Starting a gateway runtime from plain settings (a config file's sections or the environment): an RPC
// URL, the billing authority's keypair file, the ledger URL. Shared by `npm run gateway` and the Next.js
// binding.
import { Keypair, PublicKey } from "@solana/web3.js";
import { existsSync, promises as fsp } from "node:fs";
import { createLedgerClient, resolveLedgerUrl } from "../../ledger/client";
import { keypairWallet } from "./chain/keypair-wallet";
import { rpcProvider } from "./client-services";
import { startIoThread } from "./io-thread/services";
import { checkWorkerNice, WORKERS_DIR_ENV, workerFile } from "./threads/start-worker";
import {
  assembleRuntime,
  indexerCursorFile,
  startGatewayRuntime,
  usageLogDirOf,
  type GatewayRuntime,
  type GatewayRuntimeOptions,
  type RuntimeServices,
} from "./runtime";

export { keypairWallet };

export class GatewaySettingsError extends Error {
  readonly code = "gateway_not_configured";
}

export interface RuntimeSettings {
  /** Default env SOLANA_RPC_URL, else http://127.0.0.1:8899. */
  rpcUrl?: string;
  /** PubSub WebSocket of the balance subscriptions. Default env SOLANA_WS_URL, else the RPC port + 1 (web3.js). */
  wsUrl?: string;
  /** Keypair JSON file of the billing authority. Default env BILLING_AUTHORITY_KEYPAIR; required. */
  billingAuthorityFile?: string;
  /** Default env PREPAID_BILLING_PROGRAM_ID, else the IDL's address. */
  programId?: string;
  /** Default CONVEX_URL, else LEDGER_URL, else the embedded sidecar's address. */
  ledgerUrl?: string;
}

export async function readKeypair(file: string): Promise<Keypair> {
  let bytes: unknown;
  try {
    bytes = JSON.parse(await fsp.readFile(file, "utf8"));
  } catch (err) {
    throw new GatewaySettingsError(`cannot read keypair file ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(bytes) || bytes.length !== 64) throw new GatewaySettingsError(`${file} is not a keypair file (a JSON array of 64 bytes)`);
  return Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
}

/**
 * A runtime from settings. Its chain and ledger clients run in the I/O thread (io-thread/) where a worker
 * can start: from the sources or the compiled gateway, and inside a bundled Next.js server from the compiled
 * workers GATEWAY_WORKERS_DIR names (threads/start-worker.ts); else in this thread. `GATEWAY_IO_THREAD=0`
 * keeps them in this thread anyway (for comparison).
 */
export async function startRuntimeFromSettings(
  s: RuntimeSettings,
  rest: Omit<GatewayRuntimeOptions, "provider" | "billingAuthority" | "programId" | "ledger">,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayRuntime> {
  if (rest.workerNice !== undefined) checkWorkerNice(rest.workerNice); // a bad priority is refused, not taken for "no worker can start" below
  // Likewise a compiled-workers directory without the workers: the request thread would silently do their work.
  // Read from process.env, as where the workers start (threads/start-worker.ts workerFile).
  const workersDir = process.env[WORKERS_DIR_ENV];
  if (workersDir && !existsSync(workerFile("", "worker"))) {
    throw new GatewaySettingsError(`${WORKERS_DIR_ENV}=${workersDir} holds no compiled gateway workers (worker.cjs): build them with \`npx tsx gateway/build.ts\`, or unset it`);
  }
  const file = s.billingAuthorityFile ?? env.BILLING_AUTHORITY_KEYPAIR;
  if (!file) {
    throw new GatewaySettingsError("billingAuthority (or env BILLING_AUTHORITY_KEYPAIR) must name the billing authority keypair file");
  }
  const billingAuthority = await readKeypair(file);
  const rpcUrl = s.rpcUrl ?? env.SOLANA_RPC_URL ?? "http://127.0.0.1:8899";
  const wsEndpoint = s.wsUrl ?? env.SOLANA_WS_URL;
  const programId = s.programId ?? env.PREPAID_BILLING_PROGRAM_ID;
  const ledgerUrl = s.ledgerUrl ?? resolveLedgerUrl(env).url;
  // Refuses a missing server secret, in either mode.
  const ledger = createLedgerClient({ url: ledgerUrl, serverSecret: env.LEDGER_SERVER_SECRET });
  const serverSecret = env.LEDGER_SERVER_SECRET!;

  // An indexer source given as an object stays in this thread with everything else.
  const ownIndexerSource = rest.indexer !== false && rest.indexer?.source !== undefined;
  if (env.GATEWAY_IO_THREAD !== "0" && !ownIndexerSource) {
    let services: RuntimeServices | null = null;
    try {
      services = await startIoThread({
        rpcUrl,
        ...(wsEndpoint ? { wsUrl: wsEndpoint } : {}),
        billingAuthoritySecret: billingAuthority.secretKey,
        ...(programId ? { programId } : {}),
        ledgerUrl,
        ledgerServerSecret: serverSecret,
        balancesPollMs: rest.balancesPollMs,
        indexer: rest.indexer === false ? false : { pollMs: rest.indexer?.pollMs, cursorFile: indexerCursorFile(usageLogDirOf(rest)) },
      }, { nice: rest.workerNice });
    } catch {
      // No worker here (inside a bundle the worker's file cannot be loaded): in-process below, where a
      // real settings error (a malformed URL, say) surfaces as it would have in the worker.
    }
    if (services !== null) return assembleRuntime(services, rest);
  }

  return startGatewayRuntime({
    ...rest,
    provider: rpcProvider(rpcUrl, wsEndpoint, billingAuthority),
    billingAuthority,
    programId: programId ? new PublicKey(programId) : undefined,
    ledger,
    ledgerAccess: { url: ledgerUrl, serverSecret },
  });
}
