// convex-test harness for the ledger's tests (mocha, CommonJS): the module map convex-test needs (it
// cannot use `import.meta.glob` here), a fresh engine per test with the server secret configured, and
// helpers that make wallets and call functions as them. Not deployed (Convex skips files with two dots).
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { convexTest } from "convex-test";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import schema from "./schema";

/** Every module under convex/, keyed "./<path>" as convex-test expects (the `_generated` key marks the root). */
export const modules: Record<string, () => Promise<unknown>> = (() => {
  const root = __dirname;
  const map: Record<string, () => Promise<unknown>> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts") && entry.name.split(".").length === 2) {
        map["./" + relative(root, path).split("\\").join("/")] = () => import(path);
      }
    }
  };
  walk(root);
  return map;
})();

export const TEST_SECRET = "test-ledger-server-secret-0123456789";

export function newLedger() {
  process.env.LEDGER_SERVER_SECRET = TEST_SECRET;
  return convexTest(schema, modules);
}

export type Ledger = ReturnType<typeof newLedger>;

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58Encode(bytes: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i] << 8;
      digits[i] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = "";
  for (const byte of bytes) {
    if (byte !== 0) break;
    out += "1";
  }
  for (let i = digits.length - 1; i >= 0; i--) out += BASE58[digits[i]];
  return out;
}

/** A fresh random Solana address. */
export function newWallet(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  bytes[0] |= 1; // no leading zero byte, so the address is always 43-44 characters
  return base58Encode(bytes);
}

/** The `auth` argument of a user action by `wallet`. */
export function as(wallet: string) {
  return { secret: TEST_SECRET, wallet };
}

/** The `auth` argument of a server call without a user. */
export const server = { secret: TEST_SECRET };

/** Awaits `promise` and asserts it was refused with the ledger error `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const data = (error as { data?: unknown }).data;
    const actual = typeof data === "object" && data !== null ? (data as { code?: unknown }).code : undefined;
    if (actual !== code) {
      throw new Error(`expected ledger error "${code}", got ${actual === undefined ? String(error) : `"${String(actual)}"`}`);
    }
    return;
  }
  throw new Error(`expected ledger error "${code}", but the call succeeded`);
}

export type TeamFixture = {
  teamId: Id<"teams">;
  owner: string;
  admin: string;
  member: string;
  outsider: string;
  ids: { owner: Id<"members">; admin: Id<"members">; member: Id<"members"> };
};

/** A team with an Owner, an Admin and a Member who joined through real invitations, and an outsider. */
export async function teamWithRoles(t: Ledger, name = "Acme"): Promise<TeamFixture> {
  const [owner, admin, member, outsider] = [newWallet(), newWallet(), newWallet(), newWallet()];
  const { teamId } = await t.mutation(api.teams.create, {
    auth: as(owner),
    name,
    userId: "owner",
    ownerEmail: "owner@acme.test",
    billingEmail: "billing@acme.test",
  });
  const adminInvite = await t.mutation(api.invitations.create, { auth: as(owner), teamId, email: "admin@acme.test", role: "admin" });
  const adminJoin = await t.mutation(api.invitations.join, { auth: as(admin), token: adminInvite.token, userId: "admin" });
  const memberInvite = await t.mutation(api.invitations.create, { auth: as(owner), teamId, email: "member@acme.test", role: "member" });
  const memberJoin = await t.mutation(api.invitations.join, { auth: as(member), token: memberInvite.token, userId: "member" });
  const ownerRow = await t.run(async (ctx) =>
    ctx.db.query("members").withIndex("by_team_wallet", (q) => q.eq("teamId", teamId).eq("wallet", owner)).unique(),
  );
  if (ownerRow === null) throw new Error("owner membership missing");
  return {
    teamId,
    owner,
    admin,
    member,
    outsider,
    ids: { owner: ownerRow._id, admin: adminJoin.memberId, member: memberJoin.memberId },
  };
}

/** A fresh random transaction signature (base58 of 64 bytes). */
export function newSignature(): string {
  const bytes = new Uint8Array(64);
  crypto.getRandomValues(bytes);
  bytes[0] |= 1;
  return base58Encode(bytes);
}

/** Builds chain events for one team account at increasing slots, as the indexer would send them. */
export class ChainFeed {
  slot = 100;
  constructor(
    readonly team: string,
    public blockTime = Math.floor(Date.now() / 1000),
  ) {}

  private position(signature?: string, eventIndex = 0) {
    this.slot += 1;
    return { signature: signature ?? newSignature(), instructionIndex: 0, eventIndex, slot: this.slot, blockTime: this.blockTime, team: this.team };
  }

  created(owner: string, vault: string, tier = 0, periodEnd = this.blockTime + 2_592_000) {
    return { kind: "team.created" as const, ...this.position(), owner, vault, tier, periodEnd };
  }
  deposited(amount: bigint, balanceAfter: bigint) {
    return { kind: "funds.deposited" as const, ...this.position(), depositor: this.team, amount, balanceAfter };
  }
  deducted(fields: { batchSeq: bigint; requestCount: bigint; amountCharged: bigint; amountPaid?: bigint; periodRequests: bigint; balanceAfter: bigint; usageRoot?: string; signature?: string }) {
    const { signature, ...rest } = fields;
    return {
      kind: "usage.deducted" as const,
      ...this.position(signature),
      amountPaid: fields.amountCharged,
      amountWaived: 0n,
      usageRoot: "ab".repeat(32),
      ...rest,
    };
  }
  rolled(periodStart: number, periodEnd: number, baseFeeCharged: bigint, tier = 0) {
    return { kind: "period.rolled" as const, ...this.position(), periodStart, periodEnd, tier, baseFeeCharged };
  }
  distributed(source: number, treasuryAmount: bigint, stakerAmount: bigint, signature?: string, eventIndex = 1) {
    return { kind: "revenue.distributed" as const, ...this.position(signature, eventIndex), source, treasuryAmount, stakerAmount };
  }
  withdrawalRequested(amount: bigint, unlockAt: number) {
    return { kind: "withdrawal.requested" as const, ...this.position(), amount, unlockAt };
  }
  withdrawn(owner: string, amount: bigint, balanceAfter: bigint) {
    return { kind: "funds.withdrawn" as const, ...this.position(), owner, amount, balanceAfter };
  }
  tierUpdated(oldTier: number, newTier: number, proratedFee: bigint, effectiveAt = this.blockTime) {
    return { kind: "tier.updated" as const, ...this.position(), oldTier, newTier, effectiveAt, proratedFee };
  }
  lowBalance(owner: string, balance: bigint, threshold = 10_000_000n) {
    return { kind: "low_balance.alert" as const, ...this.position(), owner, balance, threshold, timestamp: this.blockTime };
  }
}

/** A snapshot for syncBalance with everything zero except what `fields` sets. */
export function snapshot(slot: number, fields: Partial<{
  vaultBalance: bigint; unpaidBaseFee: bigint; unpaidOverage: bigint; pendingWithdrawal: bigint; withdrawalUnlockAt: number;
  tier: number; status: number; periodStart: number; periodEnd: number; periodRequests: bigint;
}> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    slot,
    vaultBalance: 0n,
    unpaidBaseFee: 0n,
    unpaidOverage: 0n,
    pendingWithdrawal: 0n,
    withdrawalUnlockAt: 0,
    tier: 0,
    status: 0,
    periodStart: now - 86_400,
    periodEnd: now - 86_400 + 2_592_000,
    periodRequests: 0n,
    ...fields,
  };
}
