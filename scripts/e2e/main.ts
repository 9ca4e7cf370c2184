// `npm run e2e -- [--url <rpc>]`: the end-to-end story (flow.ts) through the real gateway over HTTP.
// It starts what the story needs around the cluster — the deployment (idempotent), a ledger sidecar and
// the app (gateway, settler, indexer) in a temporary directory on free ports — plays the story, prints
// the step table and exits 1 on any mismatch.
//   without --url: on a fresh in-memory local chain;
//   with --url:    on that cluster (`npm start`'s local chain, devnet…), with --keypair as deployer, config
//                  admin and USDC mint authority. A withdrawal notice longer than --notice-secs is shortened
//                  for the run (update_config, as the admin) and put back afterwards.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PrepaidBillingClient } from "../../sdk/src/client";
import { formatStoryTable } from "../story/team-story";
import { StackError } from "../stack/errors";
import { readKeypairFile } from "../stack/keys";
import { DEFAULT_DATA_DIR, TEST_DIST_DIR, stackPaths } from "../stack/paths";
import { startStack, type StackHandle } from "../stack/stack";
import { billingClient } from "../stack/teams";
import { runE2E, type E2EResult } from "./flow";

const USAGE = `usage: npm run e2e -- [options]
  --url <rpc>                 the cluster (default: a fresh in-memory local chain)
  --keypair <file>            deployer, config admin, USDC mint authority, fee payer
                              (default .data/stack/keys/admin.json for a 127.0.0.1 URL, else ~/.config/solana/id.json)
  --billing-authority <file>  the config's billing authority, for the app's settler
                              (default .data/stack/keys/billing-authority.json for a 127.0.0.1 URL, else the keypair)
  --notice-secs <n>           withdrawal notice for the run, seconds (default 5)
  --skip-build                serve the app build in .cache/next-stack as it is (default: rebuilt when its sources changed)
  --json                      progress on stderr, the result as one JSON line on stdout`;

export interface E2EArgs {
  url: string | null;
  keypair: string;
  billingAuthority: string;
  noticeSecs: bigint;
  skipBuild: boolean;
  json: boolean;
}

function isLocal(url: string): boolean {
  try {
    return ["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

export function parseE2EArgs(argv: readonly string[], dataDir = DEFAULT_DATA_DIR): E2EArgs {
  let url: string | null = null;
  let keypair: string | null = null;
  let billingAuthority: string | null = null;
  let noticeSecs = 5n;
  let json = false;
  let skipBuild = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => argv[++i];
    switch (flag) {
      case "--url": {
        const v = next();
        if (!v || !/^https?:\/\/[^/]/.test(v)) throw new StackError("usage", "--url expects an http(s) URL");
        url = v;
        break;
      }
      case "--keypair":
        keypair = next() ?? null;
        if (!keypair) throw new StackError("usage", "--keypair expects a file");
        break;
      case "--billing-authority":
        billingAuthority = next() ?? null;
        if (!billingAuthority) throw new StackError("usage", "--billing-authority expects a file");
        break;
      case "--notice-secs": {
        const v = next();
        if (!v || !/^\d+$/.test(v) || BigInt(v) < 1n || BigInt(v) > 120n) throw new StackError("usage", "--notice-secs expects a whole number of seconds from 1 to 120");
        noticeSecs = BigInt(v);
        break;
      }
      case "--json":
        json = true;
        break;
      case "--skip-build":
        skipBuild = true;
        break;
      default:
        throw new StackError("usage", `unknown option ${flag}`);
    }
  }
  const local = stackPaths(dataDir);
  const useLocalKeys = url !== null && isLocal(url) && fs.existsSync(local.keys.admin);
  keypair ??= url === null ? "" : useLocalKeys ? local.keys.admin : path.join(os.homedir(), ".config", "solana", "id.json");
  billingAuthority ??= url === null ? "" : useLocalKeys && fs.existsSync(local.keys.billingAuthority) ? local.keys.billingAuthority : keypair;
  for (const [file, flag] of [
    [keypair, "--keypair"],
    [billingAuthority, "--billing-authority"],
  ] as const) {
    if (url !== null && !fs.existsSync(file)) throw new StackError("usage", `${flag}: ${file} does not exist`);
  }
  return { url, keypair: path.resolve(keypair || "."), billingAuthority: path.resolve(billingAuthority || "."), noticeSecs, skipBuild, json };
}

/** Shortens the config's withdrawal notice to `secs` when it is longer; returns how to put it back. */
async function shortenNotice(stack: StackHandle, secs: bigint, log: (line: string) => void): Promise<() => Promise<void>> {
  const client: PrepaidBillingClient = billingClient(stack.connection, stack.admin, stack.programId);
  const config = await client.fetchConfig();
  if (config.withdrawalNoticeSecs <= secs) return async () => {};
  if (!config.admin.equals(stack.admin.publicKey)) {
    throw new StackError(
      "deployment_mismatch",
      `the withdrawal notice is ${config.withdrawalNoticeSecs} s and ${stack.admin.publicKey.toBase58()} is not the config admin (${config.admin.toBase58()}): pass the admin's --keypair`,
    );
  }
  const before = config.withdrawalNoticeSecs;
  await client.updateConfig({ admin: stack.admin, withdrawalNoticeSecs: secs });
  log(`withdrawal notice shortened from ${before} s to ${secs} s for the run`);
  return async () => {
    await client.updateConfig({ admin: stack.admin, withdrawalNoticeSecs: before });
    log(`withdrawal notice put back to ${before} s`);
  };
}

export async function runE2ECommand(args: E2EArgs, log: (line: string) => void): Promise<E2EResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-stack-"));
  let stack: StackHandle | null = null;
  let restore: () => Promise<void> = async () => {};
  try {
    stack = await startStack({
      dataDir,
      chain: args.url === null ? "memory" : { rpcUrl: args.url },
      ports: { rpc: 0, ledger: 0, app: 0, faucet: 0 },
      distDir: TEST_DIST_DIR,
      build: args.skipBuild ? "skip" : "auto",
      withdrawalNoticeSecs: args.noticeSecs,
      seedDemo: false,
      ledgerFsync: false,
      adminKeyFile: args.url === null ? undefined : args.keypair,
      billingAuthorityKeyFile: args.url === null ? undefined : args.billingAuthority,
      log,
    });
    restore = await shortenNotice(stack, args.noticeSecs, log);
    log(`playing the story through ${stack.appUrl} on ${stack.rpcUrl}`);
    return await runE2E({
      appUrl: stack.appUrl,
      connection: stack.connection,
      programId: stack.programId,
      usdcMint: stack.usdcMint,
      ledger: stack.ledger,
      funder: stack.admin,
      log,
    });
  } finally {
    await restore().catch((err: unknown) => log(`could not put the withdrawal notice back: ${err instanceof Error ? err.message : String(err)}`));
    await stack?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  let args: E2EArgs;
  try {
    args = parseE2EArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof StackError) {
      console.error(`e2e: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }
  const log = args.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  if (args.url !== null) readKeypairFile(args.keypair); // a bad key file fails before anything starts
  const result = await runE2ECommand(args, log);
  if (args.json) {
    console.log(JSON.stringify(result, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  } else {
    console.log(`\nA Startup team's billing, end to end through the gateway over HTTP; amounts in USDC\n`);
    console.log(formatStoryTable(result.rows));
    console.log(`\n${result.admittedUnits.toLocaleString("en-US")} requests admitted in ${result.calls} HTTP calls; ${result.seconds.toFixed(1)} s`);
  }
  if (result.mismatches.length) {
    console.error(`\n${result.mismatches.length} mismatch(es):`);
    for (const m of result.mismatches) console.error(`  - ${m}`);
    process.exit(1);
  }
  if (!args.json) console.log("every balance matches the billing rules (docs/billing-math.md)");
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const code = err instanceof StackError ? ` [${err.code}]` : "";
    console.error(`e2e failed${code}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
