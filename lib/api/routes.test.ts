// The dashboard's routes called as Next calls them (a Request in, a Response out) against the real
// services: the local chain with the program deployed through the loader, and the ledger sidecar running
// convex/. Each route: success, the role table's refusals, bad input.
import "../testing/env";
import assert from "node:assert/strict";
import { Keypair, PublicKey, SystemProgram, Transaction } from "@solana/web3.js";
import { teamPda, vaultPda } from "../../sdk/src/pdas";
import { api } from "../../ledger/client";
import { fundWallet, startChainAndLedger, type ChainAndLedger } from "../../tests/browser/support/stack";
import { sessionSecret } from "../auth/secret";
import { encodeSession, newSession } from "../auth/session";
import { route } from "../server/route";
import { request, type RequestOptions } from "../testing/requests";
import { getHistoryCsv, postVerifyBatch } from "./history";
import { getInvoicePdf, postInvoice } from "./invoices";
import { deleteApiKey, deleteInvitation, deleteMember, patchMember, postAcceptInvitation, postApiKey, postInvitation } from "./team-admin";
import { postFaucet } from "./faucet";
import { postTeam } from "./teams";
import { postSubmit, postTransaction } from "./transactions";

const USDC = 1_000_000n;
const ENV_KEYS = ["SOLANA_RPC_URL", "LEDGER_URL", "LEDGER_SERVER_SECRET", "PREPAID_BILLING_PROGRAM_ID", "CONVEX_URL"] as const;

type Handler<P> = (req: Request, params: P) => Promise<Response>;

/** Calls `handler` as the wallet `as` (a session cookie for it), with JSON `body` when given. */
async function call<P extends Record<string, string>>(
  handler: Handler<P>,
  params: P,
  options: RequestOptions & { as?: Keypair } = {},
): Promise<{ status: number; body: any; response: Response }> {
  const cookies = { ...options.cookies };
  if (options.as) {
    cookies.pb_session = encodeSession(newSession(options.as.publicKey.toBase58(), Math.floor(Date.now() / 1000), 3600), sessionSecret());
  }
  const response = await route(handler)(request("/api/test", { ...options, cookies }), { params: Promise.resolve(params) });
  const type = response.headers.get("content-type") ?? "";
  const body = type.includes("json") ? await response.json() : null;
  return { status: response.status, body, response };
}

function sign(base64: string, signer: Keypair): string {
  const tx = Transaction.from(Buffer.from(base64, "base64"));
  tx.partialSign(signer);
  return tx.serialize({ requireAllSignatures: false, verifySignatures: false }).toString("base64");
}

describe("dashboard routes against the chain and the ledger", function () {
  this.timeout(300_000);

  let base: ChainAndLedger;
  const saved: Record<string, string | undefined> = {};
  const owner = Keypair.generate();
  const admin = Keypair.generate();
  const member = Keypair.generate();
  const outsider = Keypair.generate();
  let teamId = "";
  function team(): { teamId: string };
  function team<P extends Record<string, string>>(params: P): P & { teamId: string };
  function team(params: Record<string, string> = {}) {
    return { ...params, teamId };
  }

  /** Builds `action` as `who`, signs it with `signer` (default `who`), submits it. */
  async function transact(who: Keypair, body: Record<string, unknown>, signer: Keypair = who) {
    const built = await call(postTransaction, team(), { as: who, body });
    if (built.status !== 200) return built;
    return call(postSubmit, team(), { as: who, body: { transaction: sign(built.body.transaction, signer), lastValidBlockHeight: built.body.lastValidBlockHeight } });
  }

  async function vaultBalance(): Promise<bigint> {
    const balance = await base.connection.getTokenAccountBalance(vaultPda(owner.publicKey, new PublicKey(base.deployment.programId)).address);
    return BigInt(balance.value.amount);
  }

  before(async function () {
    base = await startChainAndLedger();
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    process.env.SOLANA_RPC_URL = base.rpcUrl;
    process.env.LEDGER_URL = base.ledgerUrl;
    process.env.LEDGER_SERVER_SECRET = base.ledgerSecret;
    process.env.PREPAID_BILLING_PROGRAM_ID = base.deployment.programId;
    delete process.env.CONVEX_URL;
    await fundWallet(base, owner.publicKey, 50n * USDC);
    await fundWallet(base, admin.publicKey, 0n);
    await fundWallet(base, member.publicKey, 5n * USDC);
  });

  after(async function () {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await base?.stop();
  });

  describe("teams", function () {
    it("creates a team owned by the session's wallet and linked to its chain accounts", async function () {
      const res = await call(postTeam, {}, { as: owner, body: { name: "Acme", tier: 0, email: "owner@example.com" } });
      assert.equal(res.status, 201);
      teamId = res.body.teamId;
      const { team: view, me } = await base.ledger.as(owner.publicKey.toBase58()).query(api.teams.get, { teamId: teamId as never });
      assert.equal(me.role, "owner");
      const programId = new PublicKey(base.deployment.programId);
      assert.equal(view.chainTeam, teamPda(owner.publicKey, programId).address.toBase58());
      assert.equal(view.vault, vaultPda(owner.publicKey, programId).address.toBase58());
    });

    it("refuses a team without a session (401), from another site (403), with bad input (422) or a second one per wallet (409)", async function () {
      assert.equal((await call(postTeam, {}, { body: { name: "X" } })).status, 401);
      assert.equal((await call(postTeam, {}, { as: outsider, body: { name: "X" }, origin: "http://evil.example" })).status, 403);
      assert.equal((await call(postTeam, {}, { as: outsider, body: { name: "  " } })).status, 422);
      assert.equal((await call(postTeam, {}, { as: outsider, body: { name: "X", tier: 7 } })).status, 422);
      const again = await call(postTeam, {}, { as: owner, body: { name: "Second" } });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "conflict");
    });
  });

  describe("invitations and members", function () {
    let memberId = "";
    let adminId = "";

    it("lets the Owner invite an Admin and a Member, who join with the link's token", async function () {
      for (const [who, role] of [
        [admin, "admin"],
        [member, "member"],
      ] as const) {
        const invited = await call(postInvitation, team(), { as: owner, body: { email: `${role}@example.com`, role } });
        assert.equal(invited.status, 201);
        assert.match(invited.body.link, /^http:\/\/127\.0\.0\.1:3000\/invite\/inv_/);
        const token = decodeURIComponent(invited.body.link.split("/invite/")[1]);
        const joined = await call(postAcceptInvitation, {}, { as: who, body: { token } });
        assert.equal(joined.status, 200);
        assert.equal(joined.body.role, role);
        const reused = await call(postAcceptInvitation, {}, { as: outsider, body: { token } });
        assert.ok(reused.status === 409 || reused.status === 410 || reused.status === 404, `reused token answered ${reused.status}`);
      }
      const members = await base.ledger.as(owner.publicKey.toBase58()).query(api.members.list, { teamId: teamId as never });
      memberId = members.find((m) => m.wallet === member.publicKey.toBase58())!.memberId;
      adminId = members.find((m) => m.wallet === admin.publicKey.toBase58())!.memberId;
    });

    it("refuses invitations beyond the role: a Member invites nobody, an Admin invites Members only", async function () {
      assert.equal((await call(postInvitation, team(), { as: member, body: { email: "x@example.com", role: "member" } })).status, 403);
      assert.equal((await call(postInvitation, team(), { as: admin, body: { email: "x@example.com", role: "admin" } })).status, 403);
      assert.equal((await call(postInvitation, team(), { as: outsider, body: { email: "x@example.com", role: "member" } })).status, 403);
      assert.equal((await call(postInvitation, team(), { as: admin, body: { email: "x@example.com", role: "owner" } })).status, 422);
      assert.equal((await call(postInvitation, team(), { as: admin, body: { email: "not an address", role: "member" } })).status, 422);
      const ok = await call(postInvitation, team(), { as: admin, body: { email: "x@example.com", role: "member" } });
      assert.equal(ok.status, 201);
      const revoked = await call(deleteInvitation, team({ invitationId: ok.body.invitationId }), { as: member, method: "DELETE" });
      assert.equal(revoked.status, 403);
      assert.equal((await call(deleteInvitation, team({ invitationId: ok.body.invitationId }), { as: admin, method: "DELETE" })).status, 200);
      assert.equal((await call(postAcceptInvitation, {}, { as: outsider, body: { token: "" } })).status, 422);
    });

    it("lets only the Owner change roles, and Owner or Admin set a Member's allocation", async function () {
      assert.equal((await call(patchMember, team({ memberId }), { as: admin, method: "PATCH", body: { role: "admin" } })).status, 403);
      assert.equal((await call(patchMember, team({ memberId }), { as: member, method: "PATCH", body: { allocation: "1" } })).status, 403);
      assert.equal((await call(patchMember, team({ memberId: adminId }), { as: admin, method: "PATCH", body: { allocation: "1" } })).status, 403);
      const set = await call(patchMember, team({ memberId }), { as: admin, method: "PATCH", body: { allocation: "2.5" } });
      assert.equal(set.status, 200);
      assert.equal(set.body.allocation, "2500000");
      assert.equal((await call(patchMember, team({ memberId }), { as: admin, method: "PATCH", body: { allocation: "2.1234567" } })).status, 422);
      assert.equal((await call(patchMember, team({ memberId }), { as: owner, method: "PATCH", body: {} })).status, 422);
      assert.equal((await call(patchMember, team({ memberId: "nope" }), { as: owner, method: "PATCH", body: { role: "admin" } })).status, 404);
      const promoted = await call(patchMember, team({ memberId }), { as: owner, method: "PATCH", body: { role: "admin" } });
      assert.equal(promoted.status, 200);
      assert.equal(promoted.body.role, "admin");
      assert.equal((await call(patchMember, team({ memberId }), { as: owner, method: "PATCH", body: { role: "member" } })).status, 200);
    });

    it("never lets anyone remove the Owner, and lets an Admin remove Members only", async function () {
      const members = await base.ledger.as(owner.publicKey.toBase58()).query(api.members.list, { teamId: teamId as never });
      const ownerId = members.find((m) => m.role === "owner")!.memberId;
      assert.equal((await call(deleteMember, team({ memberId: ownerId }), { as: owner, method: "DELETE" })).status, 403);
      assert.equal((await call(deleteMember, team({ memberId: adminId }), { as: admin, method: "DELETE" })).status, 403);
      assert.equal((await call(deleteMember, team({ memberId }), { as: member, method: "DELETE" })).status, 403);
    });
  });

  describe("API keys", function () {
    it("lets only the Owner create and revoke keys; the key is returned once", async function () {
      assert.equal((await call(postApiKey, team(), { as: admin, body: { name: "a" } })).status, 403);
      assert.equal((await call(postApiKey, team(), { as: member, body: { name: "m" } })).status, 403);
      assert.equal((await call(postApiKey, team(), { as: owner, body: { name: "" } })).status, 422);
      const created = await call(postApiKey, team(), { as: owner, body: { name: "server" } });
      assert.equal(created.status, 201);
      assert.match(created.body.key, /^pk_/);
      const listed = await base.ledger.as(owner.publicKey.toBase58()).query(api.apiKeys.list, { teamId: teamId as never });
      assert.equal(JSON.stringify(listed).includes(created.body.key), false);
      assert.equal((await call(deleteApiKey, team({ keyId: created.body.keyId }), { as: admin, method: "DELETE" })).status, 403);
      assert.equal((await call(deleteApiKey, team({ keyId: "bad id" }), { as: owner, method: "DELETE" })).status, 404);
      const revoked = await call(deleteApiKey, team({ keyId: created.body.keyId }), { as: owner, method: "DELETE" });
      assert.equal(revoked.status, 200);
      assert.equal(revoked.body.revoked, true);
    });
  });

  describe("transactions the wallet signs", function () {
    it("refuses a deposit before the team has its chain account (409) and account creation by anyone but the Owner (403)", async function () {
      const early = await call(postTransaction, team(), { as: owner, body: { action: "deposit", amount: "1" } });
      assert.equal(early.status, 409);
      assert.equal(early.body.error.detail, "account_missing");
      for (const who of [admin, member]) {
        const res = await call(postTransaction, team(), { as: who, body: { action: "create_account" } });
        assert.equal(res.status, 403);
        assert.equal(res.body.error.detail, "owner_only");
      }
      assert.equal((await call(postTransaction, team(), { as: outsider, body: { action: "deposit", amount: "1" } })).status, 403);
      assert.equal((await call(postTransaction, team(), { as: owner, body: { action: "steal" } })).status, 422);
    });

    it("creates the team account and deposits what the Owner signed; the vault holds it", async function () {
      const created = await transact(owner, { action: "create_account" });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.match(created.body.signature, /^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
      assert.equal((await call(postTransaction, team(), { as: owner, body: { action: "create_account" } })).status, 409);
      const built = await call(postTransaction, team(), { as: owner, body: { action: "deposit", amount: "12.5" } });
      assert.equal(built.body.summary, "Deposit 12.50 USDC into Acme's vault.");
      const deposited = await call(postSubmit, team(), { as: owner, body: { transaction: sign(built.body.transaction, owner) } });
      assert.equal(deposited.status, 200, JSON.stringify(deposited.body));
      assert.equal(await vaultBalance(), 12_500_000n);
    });

    it("lets a Member deposit from their own wallet", async function () {
      const res = await transact(member, { action: "deposit", amount: "1" });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(await vaultBalance(), 13_500_000n);
    });

    it("refuses deposits that cannot work, in words: bad amounts (422), more than the wallet holds or no USDC account (402)", async function () {
      for (const amount of ["0", "-1", "abc", "1.0000001", ""]) {
        const res = await call(postTransaction, team(), { as: owner, body: { action: "deposit", amount } });
        assert.equal(res.status, 422, `amount ${JSON.stringify(amount)}`);
      }
      const tooMuch = await call(postTransaction, team(), { as: member, body: { action: "deposit", amount: "1000" } });
      assert.equal(tooMuch.status, 402);
      assert.equal(tooMuch.body.error.message, "Your wallet holds 4.00 USDC, less than 1,000.00 USDC.");
      const noAccount = await call(postTransaction, team(), { as: admin, body: { action: "deposit", amount: "1" } });
      assert.equal(noAccount.status, 402);
      assert.equal(noAccount.body.error.detail, "no_usdc_account");
    });

    it("submits only what the session's wallet signed for the billing program", async function () {
      const built = await call(postTransaction, team(), { as: owner, body: { action: "deposit", amount: "1" } });
      // Signed by someone else's session: the fee payer is not the caller.
      const foreign = await call(postSubmit, team(), { as: member, body: { transaction: sign(built.body.transaction, owner) } });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.body.error.detail, "fee_payer_mismatch");
      const unsigned = await call(postSubmit, team(), { as: owner, body: { transaction: built.body.transaction } });
      assert.equal(unsigned.status, 422);
      assert.equal((await call(postSubmit, team(), { as: owner, body: { transaction: "not a transaction" } })).status, 422);
      assert.equal((await call(postSubmit, team(), { as: owner, body: {} })).status, 422);
      const { blockhash } = await base.connection.getLatestBlockhash();
      const transfer = new Transaction({ feePayer: owner.publicKey, recentBlockhash: blockhash }).add(
        SystemProgram.transfer({ fromPubkey: owner.publicKey, toPubkey: outsider.publicKey, lamports: 1 }),
      );
      transfer.sign(owner);
      const other = await call(postSubmit, team(), { as: owner, body: { transaction: transfer.serialize().toString("base64") } });
      assert.equal(other.status, 422);
      assert.equal(other.body.error.detail, "program_not_allowed");
      assert.equal((await call(postSubmit, team(), { as: outsider, body: { transaction: "x" } })).status, 403);
    });

    it("withdraws only for the Owner, after the notice period, and never more than the vault", async function () {
      for (const who of [admin, member]) {
        assert.equal((await call(postTransaction, team(), { as: who, body: { action: "request_withdrawal", amount: "1" } })).status, 403);
      }
      const tooMuch = await call(postTransaction, team(), { as: owner, body: { action: "request_withdrawal", amount: "100" } });
      assert.equal(tooMuch.status, 422);
      assert.equal(tooMuch.body.error.message, "You can request at most 13.50 USDC (the vault less any unpaid debt).");
      const nothing = await call(postTransaction, team(), { as: owner, body: { action: "withdraw" } });
      assert.equal(nothing.status, 409);
      assert.equal(nothing.body.error.detail, "NoPendingWithdrawal");
      assert.equal((await transact(owner, { action: "request_withdrawal", amount: "3.5" })).status, 200);
      const early = await call(postTransaction, team(), { as: owner, body: { action: "withdraw" } });
      assert.equal(early.status, 409);
      assert.equal(early.body.error.detail, "WithdrawalNotReady");
      await new Promise((r) => setTimeout(r, 3_500));
      const done = await transact(owner, { action: "withdraw" });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(await vaultBalance(), 10_000_000n);
    });

    it("shows the prorated price of an upgrade before signing and refuses tier changes by others or to the same tier", async function () {
      assert.equal((await call(postTransaction, team(), { as: admin, body: { action: "update_tier", tier: 1 } })).status, 403);
      assert.equal((await call(postTransaction, team(), { as: owner, body: { action: "update_tier", tier: 0 } })).status, 409);
      assert.equal((await call(postTransaction, team(), { as: owner, body: { action: "update_tier", tier: 3 } })).status, 422);
      const upgrade = await call(postTransaction, team(), { as: owner, body: { action: "update_tier", tier: 1 } });
      assert.equal(upgrade.status, 200);
      // 200 USDC difference over a 30-day period, almost all of it left: just under 200 USDC.
      assert.match(upgrade.body.summary, /^Upgrade now; 199\.9\d USDC \(the prorated difference for the rest of this period\) is charged from the vault\.$/);
    });
  });

  describe("tier changes", function () {
    it("schedules a downgrade for the next period without charging anything", async function () {
      const growthOwner = Keypair.generate();
      await fundWallet(base, growthOwner.publicKey, 0n);
      const created = await call(postTeam, {}, { as: growthOwner, body: { name: "Growthco", tier: 1 } });
      const params = { teamId: created.body.teamId as string };
      const submit = async (body: Record<string, unknown>) => {
        const built = await call(postTransaction, params, { as: growthOwner, body });
        assert.equal(built.status, 200, JSON.stringify(built.body));
        const sent = await call(postSubmit, params, { as: growthOwner, body: { transaction: sign(built.body.transaction, growthOwner) } });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
        return built.body.summary as string;
      };
      await submit({ action: "create_account", tier: 1 });
      assert.equal(await submit({ action: "update_tier", tier: 0 }), "Downgrade at the start of the next period; nothing is charged now.");
      const programId = new PublicKey(base.deployment.programId);
      const info = await base.connection.getAccountInfo(teamPda(growthOwner.publicKey, programId).address);
      const { decodeTeamBillingAccount } = await import("../../sdk/src/accounts");
      const account = decodeTeamBillingAccount(info!.data);
      assert.equal(account.tier, 1);
      assert.equal(account.pendingTier, 0);
    });
  });

  describe("invoices, history and verification", function () {
    let invoiceId = "";

    it("lets only the Owner generate an invoice, and Owner or Admin download its PDF", async function () {
      assert.equal((await call(postInvoice, team(), { as: admin, body: {} })).status, 403);
      assert.equal((await call(postInvoice, team(), { as: member, body: {} })).status, 403);
      assert.equal((await call(postInvoice, team(), { as: owner, body: { month: "2026-13" } })).status, 422);
      const month = new Date().toISOString().slice(0, 7);
      const created = await call(postInvoice, team(), { as: owner, body: { month } });
      assert.equal(created.status, 201);
      invoiceId = created.body.invoiceId;
      const pdf = await call(getInvoicePdf, team({ invoiceId }), { as: admin });
      assert.equal(pdf.status, 200);
      assert.equal(pdf.response.headers.get("content-type"), "application/pdf");
      assert.equal(Buffer.from(await pdf.response.arrayBuffer()).subarray(0, 5).toString(), "%PDF-");
      assert.equal((await call(getInvoicePdf, team({ invoiceId }), { as: member })).status, 403);
      assert.equal((await call(getInvoicePdf, team({ invoiceId }))).status, 401);
      assert.equal((await call(getInvoicePdf, team({ invoiceId: "x" }), { as: owner })).status, 404);
    });

    it("refuses another team's invoice, whichever team address it is asked under", async function () {
      const other = Keypair.generate();
      const created = await call(postTeam, {}, { as: other, body: { name: "Other" } });
      const otherInvoice = await call(postInvoice, { teamId: created.body.teamId }, { as: other, body: {} });
      assert.equal(otherInvoice.status, 201);
      const res = await call(getInvoicePdf, { teamId: created.body.teamId, invoiceId }, { as: other });
      assert.equal(res.status, 403, "the ledger refuses another team's invoice");
      const mixed = await call(getInvoicePdf, team({ invoiceId: otherInvoice.body.invoiceId }), { as: owner });
      assert.equal(mixed.status, 403);
    });

    it("streams the history as CSV for Owner and Admin and refuses Members", async function () {
      const csv = await call(getHistoryCsv, team(), { as: admin });
      assert.equal(csv.status, 200);
      assert.match(csv.response.headers.get("content-disposition") ?? "", /^attachment; filename="billing-history-Acme-\d{4}-\d{2}-\d{2}\.csv"$/);
      const text = await csv.response.text();
      assert.ok(text.startsWith("time_utc,kind,amount_usdc,amount_base_units,"));
      assert.equal((await call(getHistoryCsv, team(), { as: member })).status, 403);
      assert.equal((await call(getHistoryCsv, { teamId: "zz" }, { as: owner })).status, 404);
    });

    it("answers 404 when verifying a batch the ledger does not hold", async function () {
      const res = await call(postVerifyBatch, team({ batchId: "no-such-batch" }), { as: owner, body: {} });
      assert.equal(res.status, 404);
      assert.equal((await call(postVerifyBatch, team({ batchId: "x" }), { as: member, body: {} })).status, 403);
    });
  });

  describe("outages", function () {
    const swap = (name: "LEDGER_URL" | "SOLANA_RPC_URL", value: string) => {
      const before = process.env[name];
      process.env[name] = value;
      return () => {
        process.env[name] = before;
      };
    };

    it("answers 503 in words when the ledger does not answer", async function () {
      const restore = swap("LEDGER_URL", "http://127.0.0.1:9");
      try {
        const res = await call(postApiKey, team(), { as: owner, body: { name: "x" } });
        assert.equal(res.status, 503);
        assert.deepEqual(res.body.error, { code: "ledger_unavailable", message: "The billing ledger is not answering right now. Try again in a moment." });
      } finally {
        restore();
      }
    });

    it("answers 503 in words when the chain does not answer", async function () {
      const restore = swap("SOLANA_RPC_URL", "http://127.0.0.1:9");
      try {
        const res = await call(postTransaction, team(), { as: owner, body: { action: "deposit", amount: "1" } });
        assert.equal(res.status, 503);
        assert.deepEqual(res.body.error, { code: "chain_unavailable", message: "The Solana network is not answering right now. Try again in a moment." });
      } finally {
        restore();
      }
    });
  });

  describe("local faucet", function () {
    it("does not exist without FAUCET_URL (404), and asks for a wallet address (422) when it does", async function () {
      const wallet = Keypair.generate().publicKey.toBase58();
      assert.equal((await call(postFaucet, {}, { body: { wallet } })).status, 404);
      process.env.FAUCET_URL = "http://127.0.0.1:9";
      try {
        assert.equal((await call(postFaucet, {}, { body: { wallet: "nope" } })).status, 422);
        const down = await call(postFaucet, {}, { body: { wallet } });
        assert.equal(down.status, 503);
        assert.equal(down.body.error.detail, "faucet_unreachable");
        assert.equal((await call(postFaucet, {}, { body: { wallet }, origin: "http://evil.example" })).status, 403);
      } finally {
        delete process.env.FAUCET_URL;
      }
    });
  });
});
