// Chain history and balances. The indexer sends program events (idempotent by their position on chain)
// and balance snapshots; both update the team's balance row only when they are at least as new as what it
// reflects (slot order), so a backfill of old events never rewinds a balance.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { evaluateBalanceAlerts, evaluateQuotaAlerts, evaluateSuspension, reevaluateAllocationAlerts } from "./alerts";
import { historyKinds, type ChainEventInput } from "./chainEventShapes";
import { ledgerError } from "./errors";
import { addU64, requireAddress, requireHex32, requireInteger, requireU64 } from "./format";
import { markInvoicesPaidWhenClear } from "./invoices";
import { getBalance } from "./periods";
import { requireTier } from "./tiers";
import { requireSignature } from "./usage";

/** Events accepted per ingestChainEvents call. */
export const MAX_EVENTS_PER_CALL = 500;

type BalanceFields = Omit<Doc<"balances">, "_id" | "_creationTime" | "teamId" | "slot" | "updatedAtMs">;

const EMPTY_BALANCE: BalanceFields = {
  vaultBalance: 0n,
  unpaidBaseFee: 0n,
  unpaidOverage: 0n,
  pendingWithdrawal: 0n,
  withdrawalUnlockAt: 0,
  periodRequests: 0n,
};

/**
 * Applies `change` to the team's balance row if `slot` is not older than the row; returns the row as it
 * is afterwards, or null when the change was stale and ignored.
 */
async function applyBalance(
  ctx: MutationCtx,
  teamId: Id<"teams">,
  slot: number,
  change: Partial<BalanceFields>,
): Promise<Doc<"balances"> | null> {
  const row = await getBalance(ctx, teamId);
  const updatedAtMs = Date.now();
  if (row === null) {
    const fields = { ...EMPTY_BALANCE, ...change, teamId, slot, updatedAtMs };
    const id = await ctx.db.insert("balances", fields);
    return { ...fields, _id: id, _creationTime: updatedAtMs };
  }
  if (slot < row.slot) return null;
  const patch = { ...change, slot, updatedAtMs };
  await ctx.db.patch(row._id, patch);
  return { ...row, ...patch };
}

async function setTeam(ctx: MutationCtx, team: Doc<"teams">, change: Partial<Pick<Doc<"teams">, "tier" | "status" | "chainTeam" | "vault">>) {
  const differs = (Object.keys(change) as Array<keyof typeof change>).some((key) => change[key] !== team[key]);
  if (differs) await ctx.db.patch(team._id, change);
  return { ...team, ...change };
}

function checkEvent(event: ChainEventInput): void {
  requireSignature(event.signature);
  requireInteger(event.instructionIndex, "instructionIndex", 0, 255);
  requireInteger(event.eventIndex, "eventIndex", 0, 1023);
  requireInteger(event.slot, "slot", 0, Number.MAX_SAFE_INTEGER);
  requireInteger(event.blockTime, "blockTime", 0, Number.MAX_SAFE_INTEGER);
  requireAddress(event.team, "team");
  switch (event.kind) {
    case "team.created":
      requireAddress(event.owner, "owner");
      requireAddress(event.vault, "vault");
      requireTier(event.tier);
      requireInteger(event.periodEnd, "periodEnd", 0, Number.MAX_SAFE_INTEGER);
      break;
    case "funds.deposited":
      requireAddress(event.depositor, "depositor");
      requireU64(event.amount, "amount");
      requireU64(event.balanceAfter, "balanceAfter");
      break;
    case "usage.deducted":
      for (const [name, value] of Object.entries({
        batchSeq: event.batchSeq,
        requestCount: event.requestCount,
        amountCharged: event.amountCharged,
        amountPaid: event.amountPaid,
        amountWaived: event.amountWaived,
        periodRequests: event.periodRequests,
        balanceAfter: event.balanceAfter,
      })) requireU64(value, name);
      if (event.amountPaid > event.amountCharged) throw ledgerError("invalid_argument", "amountPaid exceeds amountCharged");
      requireHex32(event.usageRoot, "usageRoot");
      break;
    case "low_balance.alert":
      requireAddress(event.owner, "owner");
      requireU64(event.balance, "balance");
      requireU64(event.threshold, "threshold");
      break;
    case "withdrawal.requested":
      requireU64(event.amount, "amount");
      requireInteger(event.unlockAt, "unlockAt", 0, Number.MAX_SAFE_INTEGER);
      break;
    case "funds.withdrawn":
      requireAddress(event.owner, "owner");
      requireU64(event.amount, "amount");
      requireU64(event.balanceAfter, "balanceAfter");
      break;
    case "tier.updated":
      requireTier(event.oldTier);
      requireTier(event.newTier);
      requireU64(event.proratedFee, "proratedFee");
      break;
    case "period.rolled":
      requireTier(event.tier);
      requireU64(event.baseFeeCharged, "baseFeeCharged");
      if (event.periodEnd <= event.periodStart) throw ledgerError("invalid_argument", "periodEnd must be after periodStart");
      break;
    case "revenue.distributed":
      requireInteger(event.source, "source", 0, 3);
      requireU64(event.treasuryAmount, "treasuryAmount");
      requireU64(event.stakerAmount, "stakerAmount");
      addU64(event.treasuryAmount, event.stakerAmount);
      break;
  }
}

/** The ledger team an event belongs to; links a `team.created` event to the team of its owner. */
async function teamOfEvent(ctx: MutationCtx, event: ChainEventInput): Promise<Doc<"teams"> | null> {
  const linked = await ctx.db
    .query("teams")
    .withIndex("by_chain_team", (q) => q.eq("chainTeam", event.team))
    .first();
  if (linked !== null || event.kind !== "team.created") return linked;
  const owned = await ctx.db
    .query("teams")
    .withIndex("by_owner", (q) => q.eq("ownerWallet", event.owner))
    .first();
  if (owned === null || (owned.chainTeam !== undefined && owned.chainTeam !== event.team)) return null;
  return await setTeam(ctx, owned, { chainTeam: event.team, vault: event.vault });
}

/** Re-checks the balance, quota and suspension alerts after the team's chain state changed. */
async function evaluateTeamAlerts(ctx: MutationCtx, team: Doc<"teams">, balance: Doc<"balances">): Promise<void> {
  await evaluateBalanceAlerts(ctx, team._id, balance.vaultBalance);
  await evaluateQuotaAlerts(ctx, team._id, team.tier, balance.periodRequests);
  await evaluateSuspension(ctx, team._id, team.status === "suspended", addU64(balance.unpaidBaseFee, balance.unpaidOverage));
}

async function applyEvent(ctx: MutationCtx, team: Doc<"teams">, event: ChainEventInput): Promise<void> {
  const at = event.slot;
  let balance: Doc<"balances"> | null = null;
  let periodChanged = false;
  switch (event.kind) {
    case "team.created":
      balance = await applyBalance(ctx, team._id, at, { periodStart: event.blockTime, periodEnd: event.periodEnd });
      if (balance !== null) team = await setTeam(ctx, team, { tier: event.tier });
      break;
    case "funds.deposited":
      balance = await applyBalance(ctx, team._id, at, { vaultBalance: event.balanceAfter });
      break;
    case "usage.deducted": {
      balance = await applyBalance(ctx, team._id, at, { vaultBalance: event.balanceAfter, periodRequests: event.periodRequests });
      if (balance !== null && event.amountPaid < event.amountCharged) team = await setTeam(ctx, team, { status: "suspended" });
      // The indexer may see the settlement before the settler reports it.
      const batch = await ctx.db
        .query("usageBatches")
        .withIndex("by_team_seq", (q) => q.eq("teamId", team._id).eq("batchSeq", event.batchSeq))
        .first();
      if (batch !== null && batch.status !== "settled" && batch.usageRoot === event.usageRoot) {
        await ctx.db.patch(batch._id, { status: "settled", signature: event.signature, settledAtMs: Date.now(), failureReason: undefined });
      }
      break;
    }
    case "low_balance.alert":
      balance = await applyBalance(ctx, team._id, at, { vaultBalance: event.balance });
      break;
    case "withdrawal.requested":
      balance = await applyBalance(ctx, team._id, at, { pendingWithdrawal: event.amount, withdrawalUnlockAt: event.unlockAt });
      break;
    case "funds.withdrawn":
      balance = await applyBalance(ctx, team._id, at, { vaultBalance: event.balanceAfter, pendingWithdrawal: 0n });
      break;
    case "tier.updated":
      // An upgrade applies at once; a downgrade waits for the next period (period.rolled carries it).
      if (event.effectiveAt <= event.blockTime) {
        balance = await applyBalance(ctx, team._id, at, {});
        if (balance !== null) team = await setTeam(ctx, team, { tier: event.newTier });
      }
      break;
    case "period.rolled": {
      const before = await getBalance(ctx, team._id);
      periodChanged = before?.periodStart !== event.periodStart;
      balance = await applyBalance(ctx, team._id, at, {
        periodStart: event.periodStart,
        periodEnd: event.periodEnd,
        ...(periodChanged ? { periodRequests: 0n } : {}),
      });
      if (balance !== null) team = await setTeam(ctx, team, { tier: event.tier });
      break;
    }
    case "revenue.distributed":
      break;
  }
  // A new team has not funded its vault yet: balance alerts start with its first balance change.
  if (balance === null || event.kind === "team.created") return;
  await evaluateTeamAlerts(ctx, team, balance);
  if (periodChanged) await reevaluateAllocationAlerts(ctx, team._id);
}

export async function ingestEvents(ctx: MutationCtx, events: ChainEventInput[]) {
  if (events.length > MAX_EVENTS_PER_CALL) throw ledgerError("invalid_argument", `at most ${MAX_EVENTS_PER_CALL} events per call`);
  for (const event of events) checkEvent(event);
  let inserted = 0;
  let duplicates = 0;
  let unlinked = 0;
  for (const event of events) {
    const existing = await ctx.db
      .query("chainEvents")
      .withIndex("by_position", (q) =>
        q.eq("signature", event.signature).eq("instructionIndex", event.instructionIndex).eq("eventIndex", event.eventIndex),
      )
      .first();
    if (existing !== null) {
      duplicates++;
      continue;
    }
    const team = await teamOfEvent(ctx, event);
    await ctx.db.insert("chainEvents", { ...event, teamId: team?._id, inHistory: historyKinds.has(event.kind) });
    inserted++;
    if (team === null) unlinked++;
    else await applyEvent(ctx, team, event);
  }
  return { inserted, duplicates, unlinked };
}

export type BalanceSnapshot = {
  slot: number;
  vaultBalance: bigint;
  unpaidBaseFee: bigint;
  unpaidOverage: bigint;
  pendingWithdrawal: bigint;
  withdrawalUnlockAt: number;
  tier: number;
  /** TeamBillingAccount.status: 0 Active, 1 Suspended. */
  status: number;
  periodStart: number;
  periodEnd: number;
  periodRequests: bigint;
};

export async function resolveChainTeam(ctx: QueryCtx, ref: { teamId?: Id<"teams">; chainTeam?: string }): Promise<Doc<"teams">> {
  if ((ref.teamId === undefined) === (ref.chainTeam === undefined)) {
    throw ledgerError("invalid_argument", "give exactly one of teamId and chainTeam");
  }
  const team =
    ref.teamId !== undefined
      ? await ctx.db.get(ref.teamId)
      : await ctx.db
          .query("teams")
          .withIndex("by_chain_team", (q) => q.eq("chainTeam", requireAddress(ref.chainTeam as string, "chainTeam")))
          .first();
  if (team === null) throw ledgerError("not_found", "team not found");
  return team;
}

/** Applies a snapshot of the team account and vault read from chain; ignored when older than the row. */
export async function syncTeamBalance(ctx: MutationCtx, team: Doc<"teams">, snapshot: BalanceSnapshot): Promise<boolean> {
  requireInteger(snapshot.slot, "slot", 0, Number.MAX_SAFE_INTEGER);
  for (const [name, value] of Object.entries({
    vaultBalance: snapshot.vaultBalance,
    unpaidBaseFee: snapshot.unpaidBaseFee,
    unpaidOverage: snapshot.unpaidOverage,
    pendingWithdrawal: snapshot.pendingWithdrawal,
    periodRequests: snapshot.periodRequests,
  })) requireU64(value, name);
  requireInteger(snapshot.withdrawalUnlockAt, "withdrawalUnlockAt", 0, Number.MAX_SAFE_INTEGER);
  requireTier(snapshot.tier);
  requireInteger(snapshot.status, "status", 0, 1);
  requireInteger(snapshot.periodStart, "periodStart", 0, Number.MAX_SAFE_INTEGER);
  requireInteger(snapshot.periodEnd, "periodEnd", snapshot.periodStart + 1, Number.MAX_SAFE_INTEGER);

  const before = await getBalance(ctx, team._id);
  const { slot, tier, status, ...fields } = snapshot;
  const balance = await applyBalance(ctx, team._id, slot, { ...fields, snapshotSlot: slot });
  if (balance === null) return false;
  const updated = await setTeam(ctx, team, { tier, status: status === 1 ? "suspended" : "active" });
  await evaluateTeamAlerts(ctx, updated, balance);
  if (before?.periodStart !== balance.periodStart) await reevaluateAllocationAlerts(ctx, team._id);
  await markInvoicesPaidWhenClear(ctx, team._id, balance);
  return true;
}

export async function balanceView(ctx: QueryCtx, teamId: Id<"teams">) {
  const row = await getBalance(ctx, teamId);
  if (row === null) return null;
  const debt = addU64(row.unpaidBaseFee, row.unpaidOverage);
  const committed = debt + row.pendingWithdrawal;
  return {
    slot: row.slot,
    vaultBalance: row.vaultBalance,
    unpaidBaseFee: row.unpaidBaseFee,
    unpaidOverage: row.unpaidOverage,
    debt,
    pendingWithdrawal: row.pendingWithdrawal,
    withdrawalUnlockAt: row.withdrawalUnlockAt,
    /** vault − debt − pending withdrawal, floored at 0 (reservations of unsettled usage live in the gateway). */
    available: row.vaultBalance > committed ? row.vaultBalance - committed : 0n,
    periodStart: row.periodStart ?? null,
    periodEnd: row.periodEnd ?? null,
    periodRequests: row.periodRequests,
    updatedAtMs: row.updatedAtMs,
  };
}
