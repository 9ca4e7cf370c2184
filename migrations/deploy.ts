// Deploys prepaid_billing and initialises its config on any cluster, idempotently:
//   npx tsx migrations/deploy.ts --usdc-mint <address> [--url http://127.0.0.1:8899] [--keypair ~/.config/solana/id.json]
// Steps: (1) the program through BPFLoaderUpgradeable from target/deploy/prepaid_billing.so at the address
// of programs/prepaid_billing/keys/program-keypair.json (Anchor.toml's) — deployed when missing, left alone
// when it holds this .so, upgraded when it holds other code (--no-upgrade: report only); (2) the treasury
// and staker-pool token accounts of the USDC mint; (3) BillingConfig. A second run sends nothing and says
// so. `--local-usdc-mint` creates (or reuses) a 6-decimal mint derived from the keypair, for local chains.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey } from "@solana/web3.js";
import { PROGRAM_ID } from "../sdk/src";
import { ensureConfig, ensureLocalMint, type ConfigAction } from "./config";
import { deployProgram, type ProgramAction } from "./program";
import { confirmSignature } from "./sender";

const repoRoot = path.resolve(__dirname, "..");
export const DEFAULT_URL = "http://127.0.0.1:8899";
export const DEFAULT_SO_PATH = path.join(repoRoot, "target", "deploy", "prepaid_billing.so");
export const DEFAULT_PROGRAM_KEYPAIR_PATH = path.join(repoRoot, "programs", "prepaid_billing", "keys", "program-keypair.json");
export const DEFAULT_KEYPAIR_PATH = path.join(os.homedir(), ".config", "solana", "id.json");

export interface DeployOptions {
  url: string;
  payer: Keypair;
  programKeypair: Keypair;
  elf: Uint8Array;
  /** The USDC mint, or "local" for the keypair's own 6-decimal mint (created when missing). */
  usdcMint: PublicKey | "local";
  /** Default the payer. */
  billingAuthority?: PublicKey;
  treasury?: PublicKey;
  stakerPool?: PublicKey;
  treasuryOwner?: PublicKey;
  stakerPoolOwner?: PublicKey;
  withdrawalNoticeSecs?: bigint;
  periodSecs?: bigint;
  /** Upgrade a program holding other code; default true. */
  upgrade?: boolean;
  /** Before sending anything, top the payer up to this many lamports by airdrop (local chains, devnet). */
  airdropBelow?: bigint;
  log?: (line: string) => void;
}

export interface DeployResult {
  programId: string;
  programAction: ProgramAction;
  config: string;
  configAction: ConfigAction;
  usdcMint: string;
  treasury: string;
  stakerPool: string;
  billingAuthority: string;
  /** Transactions sent by this run (0: nothing changed). */
  transactions: number;
}

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const log = options.log ?? (() => {});
  const connection = new Connection(options.url, { commitment: "confirmed", disableRetryOnRateLimit: false });
  let transactions = 0;
  let funded = false;
  // With airdropBelow, the payer is topped up right before the first transaction, so a run that has
  // nothing to do sends nothing at all (not even an airdrop).
  const beforeSend = async () => {
    if (funded || options.airdropBelow === undefined) return;
    funded = true;
    const balance = BigInt(await connection.getBalance(options.payer.publicKey, "confirmed"));
    if (balance >= options.airdropBelow) return;
    const amount = options.airdropBelow - balance;
    log(`airdropping ${Number(amount) / LAMPORTS_PER_SOL} SOL to ${options.payer.publicKey.toBase58()}`);
    const latest = await connection.getLatestBlockhash("confirmed");
    const signature = await connection.requestAirdrop(options.payer.publicKey, Number(amount));
    await confirmSignature(connection, signature, latest.lastValidBlockHeight);
  };
  const send = { log, beforeSend };

  const program = await deployProgram(connection, options.payer, options.programKeypair, options.elf, { ...send, upgrade: options.upgrade });
  transactions += program.transactions;
  const programLine: Record<ProgramAction, string> = {
    deployed: `program ${program.programId.toBase58()} deployed (${program.writeTransactions} write transactions)`,
    upgraded: `program ${program.programId.toBase58()} upgraded (${program.writeTransactions} write transactions)`,
    unchanged: `program ${program.programId.toBase58()} already holds this build: unchanged`,
    differs: `program ${program.programId.toBase58()} holds another build: not upgraded (--no-upgrade)`,
  };
  log(programLine[program.action]);

  let usdcMint: PublicKey;
  if (options.usdcMint === "local") {
    const local = await ensureLocalMint(connection, options.payer, send);
    usdcMint = local.mint;
    if (local.created) transactions++;
    log(`local USDC mint ${usdcMint.toBase58()}${local.created ? " created" : " exists"}`);
  } else {
    usdcMint = options.usdcMint;
  }

  const config = await ensureConfig(
    connection,
    options.payer,
    program.programId,
    {
      usdcMint,
      billingAuthority: options.billingAuthority ?? options.payer.publicKey,
      treasury: options.treasury,
      stakerPool: options.stakerPool,
      treasuryOwner: options.treasuryOwner,
      stakerPoolOwner: options.stakerPoolOwner,
      withdrawalNoticeSecs: options.withdrawalNoticeSecs,
      periodSecs: options.periodSecs,
    },
    send,
  );
  transactions += config.transactions;
  if (config.action === "initialized") log(`config ${config.config.toBase58()} initialised`);
  else {
    log(`config ${config.config.toBase58()} already initialised: unchanged`);
    if (options.billingAuthority && !config.state.billingAuthority.equals(options.billingAuthority)) {
      log(`note: its billing authority is ${config.state.billingAuthority.toBase58()}, not the one given (change it with update_config)`);
    }
  }
  log(transactions === 0 ? "nothing to do: the deployment is up to date" : `done: ${transactions} transaction(s) sent`);

  return {
    programId: program.programId.toBase58(),
    programAction: program.action,
    config: config.config.toBase58(),
    configAction: config.action,
    usdcMint: usdcMint.toBase58(),
    treasury: config.state.treasury.toBase58(),
    stakerPool: config.state.stakerPool.toBase58(),
    billingAuthority: config.state.billingAuthority.toBase58(),
    transactions,
  };
}

// ---- command line ----------------------------------------------------------------------------------

const USAGE = `usage: npx tsx migrations/deploy.ts (--usdc-mint <address> | --local-usdc-mint) [options]
  --url <rpc>                      JSON-RPC endpoint (default ${DEFAULT_URL}; devnet: https://api.devnet.solana.com)
  --keypair <file>                 payer, upgrade authority and config admin (default ~/.config/solana/id.json)
  --program-keypair <file>         the program's address (default programs/prepaid_billing/keys/program-keypair.json)
  --so <file>                      the program (default target/deploy/prepaid_billing.so)
  --usdc-mint <address>            the USDC mint the config accepts
  --local-usdc-mint                create (or reuse) a 6-decimal mint derived from the keypair (local chains)
  --billing-authority <addr|file>  the settlement key (default the keypair)
  --treasury <token account>       existing treasury account (default: created, owned by --treasury-owner)
  --staker-pool <token account>    existing staker-pool account (default: created, owned by --staker-pool-owner)
  --treasury-owner <address>       owner of a created treasury account (default the keypair)
  --staker-pool-owner <address>    owner of a created staker-pool account (default the keypair)
  --withdrawal-notice-secs <n>     config: notice before withdraw_unused (default 900)
  --period-secs <n>                config: billing period (default 2592000)
  --no-upgrade                     leave a program holding another build as it is (default: upgrade it)
  --airdrop <SOL>                  top the keypair up to this balance first (local chains, devnet)
  --json                           print the result as one JSON line`;

class UsageError extends Error {}

function readKeypair(file: string): Keypair {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read keypair file ${file}`);
  }
  try {
    return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(text) as number[]));
  } catch {
    throw new UsageError(`${file} is not a keypair file (a JSON array of 64 bytes)`);
  }
}

function address(value: string | undefined, flag: string): PublicKey {
  try {
    if (!value) throw new Error("missing");
    return new PublicKey(value);
  } catch {
    throw new UsageError(`${flag} expects an address`);
  }
}

function seconds(value: string | undefined, flag: string): bigint {
  if (!value || !/^\d+$/.test(value)) throw new UsageError(`${flag} expects a whole number of seconds`);
  return BigInt(value);
}

export function parseDeployArgs(argv: readonly string[]): { options: DeployOptions; json: boolean } {
  let url = DEFAULT_URL;
  let keypairPath = DEFAULT_KEYPAIR_PATH;
  let programKeypairPath = DEFAULT_PROGRAM_KEYPAIR_PATH;
  let soPath = DEFAULT_SO_PATH;
  let usdcMint: PublicKey | "local" | undefined;
  let json = false;
  const rest: Partial<DeployOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => argv[++i];
    switch (flag) {
      case "--url":
        url = next() ?? "";
        if (!/^https?:\/\//.test(url)) throw new UsageError("--url expects an http(s) URL");
        break;
      case "--keypair":
        keypairPath = next() ?? "";
        break;
      case "--program-keypair":
        programKeypairPath = next() ?? "";
        break;
      case "--so":
        soPath = next() ?? "";
        break;
      case "--usdc-mint":
        usdcMint = address(next(), flag);
        break;
      case "--local-usdc-mint":
        usdcMint = "local";
        break;
      case "--billing-authority": {
        const value = next();
        rest.billingAuthority = value && fs.existsSync(value) ? readKeypair(value).publicKey : address(value, flag);
        break;
      }
      case "--treasury":
        rest.treasury = address(next(), flag);
        break;
      case "--staker-pool":
        rest.stakerPool = address(next(), flag);
        break;
      case "--treasury-owner":
        rest.treasuryOwner = address(next(), flag);
        break;
      case "--staker-pool-owner":
        rest.stakerPoolOwner = address(next(), flag);
        break;
      case "--withdrawal-notice-secs":
        rest.withdrawalNoticeSecs = seconds(next(), flag);
        break;
      case "--period-secs":
        rest.periodSecs = seconds(next(), flag);
        break;
      case "--no-upgrade":
        rest.upgrade = false;
        break;
      case "--airdrop": {
        const sol = Number(next());
        if (!Number.isFinite(sol) || sol <= 0) throw new UsageError("--airdrop expects an amount of SOL");
        rest.airdropBelow = BigInt(Math.round(sol * LAMPORTS_PER_SOL));
        break;
      }
      case "--json":
        json = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (!usdcMint) throw new UsageError("--usdc-mint <address> or --local-usdc-mint is required");
  if (!fs.existsSync(soPath)) throw new UsageError(`${soPath} does not exist (build it with npm run build:program)`);
  const programKeypair = readKeypair(programKeypairPath);
  if (programKeypairPath === DEFAULT_PROGRAM_KEYPAIR_PATH && !programKeypair.publicKey.equals(PROGRAM_ID)) {
    throw new UsageError(`${programKeypairPath} is ${programKeypair.publicKey.toBase58()}, but the IDL's address is ${PROGRAM_ID.toBase58()}`);
  }
  return {
    options: { ...rest, url, payer: readKeypair(keypairPath), programKeypair, elf: fs.readFileSync(soPath), usdcMint },
    json,
  };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseDeployArgs>;
  try {
    parsed = parseDeployArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`deploy: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    throw e;
  }
  const log = parsed.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  log(`deploying to ${parsed.options.url} as ${parsed.options.payer.publicKey.toBase58()}`);
  const result = await deploy({ ...parsed.options, log });
  if (parsed.json) console.log(JSON.stringify(result));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`deploy: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
