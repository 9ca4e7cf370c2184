// The demo the local stack starts with, seeded once and found again on every later start:
// - "Demo team" (Startup): the owner deposited 100 USDC and paid the period's 50 USDC base fee (45 to the
//   treasury, 5 to the stakers); two members, alice (admin) and bob (member); one API key. Its requests
//   within the 10,000 included ones are admitted at no cost.
// - "Unfunded demo team" (Startup): a team account without a deposit and its own API key: the base fee is
//   due and unpaid, so the gate answers 402 with a PAYMENT-REQUIRED header saying what to deposit.
// Keys live in the data directory (paths.ts); the API keys, shown once by the ledger, in demo.json.
import * as fs from "node:fs";
import type { Connection, Keypair, PublicKey } from "@solana/web3.js";
import type { LedgerClient } from "../../ledger/client";
import { USDC, Tier } from "../../sdk/src/constants";
import type { PrepaidBillingClient } from "../../sdk/src/client";
import { fundWallet } from "./faucet";
import { loadOrCreateKeypair } from "./keys";
import type { StackPaths } from "./paths";
import { ensureApiKey, ensureChainTeam, ensureLedgerTeam, ensureMembers, ownerTokenAccount, type ApiKeyRecord, type TeamId } from "./teams";

/** What the demo owner deposits. */
export const DEMO_DEPOSIT = 100n * USDC;

export interface DemoTeam {
  name: string;
  teamId: TeamId;
  owner: string;
  ownerKeyFile: string;
  chainTeam: string;
  vault: string;
  apiKey: string;
  /** X-User-ID values members call with. */
  userIds: string[];
}

export interface Demo {
  funded: DemoTeam;
  unfunded: DemoTeam;
  /** What this start had to do (empty on a start that found everything). */
  actions: string[];
}

interface DemoFile {
  version: 1;
  keys: { funded?: ApiKeyRecord; unfunded?: ApiKeyRecord };
}

function readDemoFile(file: string): DemoFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as DemoFile;
    if (parsed.version === 1 && typeof parsed.keys === "object" && parsed.keys !== null) return parsed;
  } catch {
    // missing or unreadable: the keys are created again
  }
  return { version: 1, keys: {} };
}

export interface SeedOptions {
  connection: Connection;
  /** A client whose provider wallet is the admin (it pays the fees). */
  client: PrepaidBillingClient;
  ledger: LedgerClient;
  /** The admin: the local USDC mint's authority. */
  admin: Keypair;
  usdcMint: PublicKey;
  paths: StackPaths;
}

async function seedTeam(
  o: SeedOptions,
  spec: { name: string; owner: Keypair; ownerKeyFile: string; members: { keypair: Keypair; userId: string; email: string; role: "admin" | "member" }[]; deposit: bigint },
  known: ApiKeyRecord | null,
  actions: string[],
): Promise<{ team: DemoTeam; key: ApiKeyRecord }> {
  const owner = spec.owner;
  const chainTeam = o.client.teamAddress(owner.publicKey);
  const vault = o.client.vaultAddress(owner.publicKey);

  // The ledger first, linked to the chain account, so the indexer attributes its events from the start.
  const { teamId, created } = await ensureLedgerTeam(o.ledger, owner.publicKey, { name: spec.name, tier: Tier.Startup, userId: "owner", chainTeam, vault });
  if (created) actions.push(`${spec.name}: created in the ledger`);
  const joined = await ensureMembers(
    o.ledger,
    teamId,
    owner.publicKey,
    spec.members.map((m) => ({ wallet: m.keypair.publicKey, userId: m.userId, email: m.email, role: m.role })),
  );
  if (joined) actions.push(`${spec.name}: ${joined} member(s) joined`);
  const key = await ensureApiKey(o.ledger, teamId, owner.publicKey, "demo", known);
  if (key.created) actions.push(`${spec.name}: API key ${key.key.prefix}… created`);

  // The chain: SOL for rent and fees, the team account, the deposit and the period's base fee.
  if ((await o.connection.getBalance(owner.publicKey, "confirmed")) < 1_000_000_000) {
    await fundWallet(o.connection, o.admin, o.usdcMint, owner.publicKey, { usdc: 0n, lamports: 2_000_000_000n });
  }
  const chain = await ensureChainTeam(o.client, owner, Tier.Startup);
  if (chain.created) actions.push(`${spec.name}: team account created on chain`);
  if (spec.deposit > 0n && chain.account.totalDeposited === 0n) {
    const funded = await fundWallet(o.connection, o.admin, o.usdcMint, owner.publicKey, { usdc: spec.deposit, lamports: 0n });
    await o.client.depositFunds({ depositor: owner, depositorToken: ownerTokenAccount(o.usdcMint, owner.publicKey), teamOwner: owner.publicKey, amount: spec.deposit });
    actions.push(`${spec.name}: deposited ${spec.deposit / USDC} USDC from ${funded.tokenAccount.slice(0, 8)}…`);
    // Anyone may crank roll_period: charging the base fee now shows its split in the treasury and stakers.
    await o.client.rollPeriod({ teamOwner: owner.publicKey });
    actions.push(`${spec.name}: base fee charged (roll_period)`);
  }

  return {
    team: {
      name: spec.name,
      teamId,
      owner: owner.publicKey.toBase58(),
      ownerKeyFile: spec.ownerKeyFile,
      chainTeam: chainTeam.toBase58(),
      vault: vault.toBase58(),
      apiKey: key.key.key,
      userIds: ["owner", ...spec.members.map((m) => m.userId)],
    },
    key: key.key,
  };
}

/** Seeds the demo teams, or finds them: a second run on the same data directory changes nothing. */
export async function seedDemo(o: SeedOptions): Promise<Demo> {
  const file = readDemoFile(o.paths.demo);
  const actions: string[] = [];
  const k = o.paths.keys;
  const funded = await seedTeam(
    o,
    {
      name: "Demo team",
      owner: loadOrCreateKeypair(k.demoOwner),
      ownerKeyFile: k.demoOwner,
      members: [
        { keypair: loadOrCreateKeypair(k.demoMembers[0]), userId: "alice", email: "alice@example.com", role: "admin" },
        { keypair: loadOrCreateKeypair(k.demoMembers[1]), userId: "bob", email: "bob@example.com", role: "member" },
      ],
      deposit: DEMO_DEPOSIT,
    },
    file.keys.funded ?? null,
    actions,
  );
  const unfunded = await seedTeam(
    o,
    { name: "Unfunded demo team", owner: loadOrCreateKeypair(k.unfundedOwner), ownerKeyFile: k.unfundedOwner, members: [], deposit: 0n },
    file.keys.unfunded ?? null,
    actions,
  );
  const next: DemoFile = { version: 1, keys: { funded: funded.key, unfunded: unfunded.key } };
  fs.writeFileSync(o.paths.demo, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
  return { funded: funded.team, unfunded: unfunded.team, actions };
}
