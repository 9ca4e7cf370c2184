// Where the stack keeps its state. `npm start` uses the repository's .data/ (git-ignored), so a second
// start finds the chain, the ledger, the keys and the demo team of the first; tests use a temporary
// directory with the same layout.
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const DEFAULT_DATA_DIR = path.join(REPO_ROOT, ".data");
/** The build `npm start` serves (Next's default directory). */
export const DEFAULT_DIST_DIR = ".next";
/** The build tests serve, apart from a developer's .next/ so a running `npm start` is never disturbed. */
export const TEST_DIST_DIR = path.join(".cache", "next-stack");
export const SO_PATH = path.join(REPO_ROOT, "target", "deploy", "prepaid_billing.so");

export interface StackPaths {
  root: string;
  /** simnet's ledger directory (journal). */
  simnet: string;
  /** The ledger sidecar's data directory. */
  ledger: string;
  /** APP_DATA_DIR: the dashboard's session secret. */
  app: string;
  /** GATEWAY_USAGE_DIR: the app's durable usage log; the indexer cursor sits beside it. */
  gatewayUsage: string;
  /** Output of the child processes: simnet.log, app.log, next-build.log. */
  logs: string;
  /** The stack's own files: keys, secrets, the demo team, state.json. */
  stack: string;
  keys: {
    /** Deploys the program, administers the config, is the local USDC mint's authority, pays the faucet. */
    admin: string;
    /** Signs deduct_usage (the settler in the app). */
    billingAuthority: string;
    demoOwner: string;
    demoMembers: [string, string];
    /** Owner of the demo team that never deposited (its requests get 402). */
    unfundedOwner: string;
  };
  /** The ledger's server secret, kept so tools can reach a running stack's ledger. */
  secrets: string;
  /** The demo team's ids and API keys (a key is shown once by the ledger, so it is kept here). */
  demo: string;
  /** What a running stack serves (URLs, addresses, key files), for tools such as npm run e2e. */
  state: string;
}

export function stackPaths(dataDir: string): StackPaths {
  const root = path.resolve(dataDir);
  const stack = path.join(root, "stack");
  const key = (name: string) => path.join(stack, "keys", `${name}.json`);
  return {
    root,
    simnet: path.join(root, "simnet"),
    ledger: path.join(root, "ledger"),
    app: path.join(root, "app"),
    gatewayUsage: path.join(root, "gateway", "app-usage"),
    logs: path.join(root, "logs"),
    stack,
    keys: {
      admin: key("admin"),
      billingAuthority: key("billing-authority"),
      demoOwner: key("demo-owner"),
      demoMembers: [key("demo-member-1"), key("demo-member-2")],
      unfundedOwner: key("demo-unfunded-owner"),
    },
    secrets: path.join(stack, "secrets.json"),
    demo: path.join(stack, "demo.json"),
    state: path.join(stack, "state.json"),
  };
}
