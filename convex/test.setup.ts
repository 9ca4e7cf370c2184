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
