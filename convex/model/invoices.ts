// Monthly invoices, built from what the chain did in the month (UTC calendar month of the events' block
// times): each line carries what the vault paid (`amount`), what was charged but left as on-chain debt
// (`unpaid`), and the signatures of the transactions it covers. The member breakdown comes from the usage
// rollups. An invoice is pending while the team owes debt on chain and becomes paid when the chain shows
// the debt cleared (syncBalance); a paid invoice never changes again.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "./audit";
import type { ChainEventKind } from "./chainEventShapes";
import { ledgerError } from "./errors";
import { addU64, monthWindowMs, normalizeEmail, requireMonth, utcDay } from "./format";
import { getBalance } from "./periods";
import { tierTerms } from "./tiers";

/** Signatures kept per invoice line; `signatureCount` says how many the line covers in all. */
export const MAX_LINE_SIGNATURES = 1_000;

type Line = Doc<"invoices">["lines"][number];
type MemberLine = Doc<"invoices">["members"][number];
type EventOf<K extends ChainEventKind> = Extract<Doc<"chainEvents">, { kind: K }>;

async function eventsInMonth<K extends ChainEventKind>(
  ctx: QueryCtx,
  teamId: Id<"teams">,
  kind: K,
  window: { startMs: number; endMs: number },
): Promise<EventOf<K>[]> {
  const rows = await ctx.db
    .query("chainEvents")
    .withIndex("by_team_kind_time", (q) =>
      q.eq("teamId", teamId).eq("kind", kind).gte("blockTime", window.startMs / 1000).lt("blockTime", window.endMs / 1000),
    )
    .collect();
  return rows as EventOf<K>[];
}

function line(kind: Line["kind"], description: string, quantity: bigint, unitPrice: bigint, amount: bigint, unpaid: bigint, signatures: string[]): Line {
  const unique = [...new Set(signatures)];
  return {
    kind,
    description,
    quantity,
    unitPrice,
    amount,
    unpaid,
    signatures: unique.slice(0, MAX_LINE_SIGNATURES),
    signatureCount: unique.length,
  };
}

/** Requests of one deduction beyond the tier's included requests (billing-math.md, usage batch step 1). */
function billableOf(event: EventOf<"usage.deducted">, included: bigint): bigint {
  const after = event.periodRequests;
  const before = after - event.requestCount;
  const from = before > included ? before : included;
  return after > from ? after - from : 0n;
}

export async function buildLines(ctx: QueryCtx, team: Doc<"teams">, month: string) {
  const window = monthWindowMs(month);
  const rolls = await eventsInMonth(ctx, team._id, "period.rolled", window);
  const deductions = await eventsInMonth(ctx, team._id, "usage.deducted", window);
  const tierChanges = await eventsInMonth(ctx, team._id, "tier.updated", window);
  const revenue = await eventsInMonth(ctx, team._id, "revenue.distributed", window);
  // The tier the month ended on: the last roll's, else the team's current tier.
  const tier = rolls.length > 0 ? rolls.reduce((a, b) => (b.blockTime >= a.blockTime ? b : a)).tier : team.tier;
  const terms = tierTerms(tier);

  const feeRolls = rolls.filter((r) => r.baseFeeCharged > 0n);
  const baseFee = feeRolls.reduce((sum, r) => addU64(sum, r.baseFeeCharged), 0n);

  let included = 0n;
  let billable = 0n;
  let paid = 0n;
  let unpaid = 0n;
  let waived = 0n;
  let lastShortfallSlot = 0;
  const includedSignatures: string[] = [];
  const overageSignatures: string[] = [];
  for (const d of deductions) {
    const over = billableOf(d, terms.includedRequests);
    if (d.requestCount > over) {
      included += d.requestCount - over;
      includedSignatures.push(d.signature);
    }
    if (over > 0n || d.amountCharged > 0n) {
      billable += over;
      overageSignatures.push(d.signature);
    }
    paid = addU64(paid, d.amountPaid);
    unpaid = addU64(unpaid, d.amountCharged - d.amountPaid);
    if (d.amountPaid < d.amountCharged) lastShortfallSlot = Math.max(lastShortfallSlot, d.slot);
    waived = addU64(waived, d.amountWaived);
  }
  const prorations = tierChanges.filter((c) => c.proratedFee > 0n);
  const proration = prorations.reduce((sum, c) => addU64(sum, c.proratedFee), 0n);
  const debts = revenue.filter((r) => r.source === 3);
  const debt = debts.reduce((sum, r) => addU64(sum, addU64(r.treasuryAmount, r.stakerAmount)), 0n);

  const lines: Line[] = [
    line("base_fee", `${terms.name} base fee`, BigInt(feeRolls.length), terms.monthlyFee, baseFee, 0n, feeRolls.map((r) => r.signature)),
    line("included_requests", `Requests included in the ${terms.name} tier`, included, 0n, 0n, 0n, includedSignatures),
    line(
      "overage",
      waived > 0n ? `Overage requests (${waived} base units waived by the spend cap)` : "Overage requests",
      billable,
      terms.overagePrice,
      paid,
      unpaid,
      overageSignatures,
    ),
  ];
  if (prorations.length > 0) {
    lines.push(line("proration", "Prorated tier upgrade", BigInt(prorations.length), 0n, proration, 0n, prorations.map((c) => c.signature)));
  }
  if (debts.length > 0) {
    lines.push(line("debt", "Earlier unpaid fees collected", BigInt(debts.length), 0n, debt, 0n, debts.map((r) => r.signature)));
  }
  return { tier, lines, window, lastShortfallSlot };
}

async function memberBreakdown(ctx: QueryCtx, teamId: Id<"teams">, window: { startMs: number; endMs: number }): Promise<MemberLine[]> {
  const rows = await ctx.db
    .query("usageRollups")
    .withIndex("by_bucket", (q) => q.eq("teamId", teamId).gte("day", utcDay(window.startMs)).lt("day", utcDay(window.endMs)))
    .collect();
  const byUser = new Map<string, { requests: number; cost: bigint }>();
  for (const row of rows) {
    const totals = byUser.get(row.userId) ?? { requests: 0, cost: 0n };
    byUser.set(row.userId, { requests: totals.requests + row.requests, cost: addU64(totals.cost, row.cost) });
  }
  const members: MemberLine[] = [];
  for (const [userId, totals] of byUser) {
    const member = await ctx.db
      .query("members")
      .withIndex("by_team_user", (q) => q.eq("teamId", teamId).eq("userId", userId))
      .unique();
    members.push({ userId, wallet: member?.wallet, ...totals });
  }
  return members.sort((a, b) => (a.cost === b.cost ? b.requests - a.requests : a.cost > b.cost ? -1 : 1));
}

/**
 * Whether the chain shows an invoice paid. Debt is known from snapshots (syncBalance) only: with no shortfall
 * in the month, the invoice is paid unless the latest snapshot shows the team owing; with a shortfall, it is
 * paid once a snapshot taken after the shortfall shows no debt (the program collects debt before anything else).
 */
function isPaid(balance: Doc<"balances"> | null, unpaid: bigint, lastShortfallSlot: number): boolean {
  const snapshotSlot = balance?.snapshotSlot;
  if (balance === null || snapshotSlot === undefined) return unpaid === 0n;
  const clear = addU64(balance.unpaidBaseFee, balance.unpaidOverage) === 0n;
  return clear && (unpaid === 0n || snapshotSlot >= lastShortfallSlot);
}

/**
 * Canonical text of an invoice's figures (keys sorted, bigints as decimal), to tell whether a regeneration
 * changed anything: stored documents need not keep the key order they were written with.
 */
function fingerprint(parts: { lines: Line[]; members: MemberLine[]; total: bigint; unpaid: bigint }): string {
  return JSON.stringify(parts, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return value;
  });
}

/**
 * Creates or refreshes the team's invoice for `month`. A paid invoice is returned unchanged; a pending one
 * is recomputed, and goes back to awaiting delivery if its figures changed after it was delivered.
 */
export async function generateInvoice(ctx: MutationCtx, team: Doc<"teams">, month: string, generatedBy: string): Promise<Id<"invoices">> {
  requireMonth(month);
  if (monthWindowMs(month).startMs > Date.now()) throw ledgerError("invalid_argument", `month ${month} has not started`);
  const { tier, lines, window, lastShortfallSlot } = await buildLines(ctx, team, month);
  const members = await memberBreakdown(ctx, team._id, window);
  const total = lines.reduce((sum, l) => addU64(sum, l.amount), 0n);
  const unpaid = lines.reduce((sum, l) => addU64(sum, l.unpaid), 0n);
  const balance = await getBalance(ctx, team._id);
  const paid = isPaid(balance, unpaid, lastShortfallSlot);
  const now = Date.now();

  const existing = await ctx.db
    .query("invoices")
    .withIndex("by_team_month", (q) => q.eq("teamId", team._id).eq("month", month))
    .unique();
  // A paid invoice of a month that had ended when it was generated is final; an invoice of a month still
  // running (an Owner's early look) is refreshed until then.
  if (existing !== null && existing.status === "paid" && existing.periodEndMs <= existing.generatedAtMs) return existing._id;
  const figures = { lines, members, total, unpaid };
  const fields = {
    teamId: team._id,
    month,
    periodStartMs: window.startMs,
    periodEndMs: window.endMs,
    tier,
    ...figures,
    lastShortfallSlot,
    status: paid ? ("paid" as const) : ("pending" as const),
    paidAtMs: paid ? now : undefined,
    generatedAtMs: now,
    generatedBy,
  };
  // Queued for the worker only when there is someone to mail it to; held back otherwise.
  const queue = await queueStateOf(ctx, team);
  let invoiceId: Id<"invoices">;
  if (existing === null) {
    invoiceId = await ctx.db.insert("invoices", { ...fields, delivery: queue });
  } else {
    const before = { lines: existing.lines, members: existing.members, total: existing.total, unpaid: existing.unpaid };
    const changed = fingerprint(figures) !== fingerprint(before);
    const redeliver = changed && existing.delivery === "delivered";
    await ctx.db.patch(existing._id, {
      ...fields,
      ...(redeliver ? { delivery: queue, deliveredAtMs: undefined, deliveredTo: undefined } : {}),
      ...(existing.delivery === "delivered" ? {} : { delivery: queue }),
    });
    invoiceId = existing._id;
  }
  await audit(ctx, {
    teamId: team._id,
    actor: generatedBy,
    action: "invoice.generated",
    target: month,
    details: { total, unpaid, status: fields.status },
  });
  return invoiceId;
}

/** After a snapshot: marks the team's pending invoices paid when the chain shows them paid. */
export async function markInvoicesPaidWhenClear(ctx: MutationCtx, teamId: Id<"teams">, balance: Doc<"balances">): Promise<void> {
  const pending = await ctx.db
    .query("invoices")
    .withIndex("by_team_status", (q) => q.eq("teamId", teamId).eq("status", "pending"))
    .collect();
  const now = Date.now();
  for (const invoice of pending) {
    if (isPaid(balance, invoice.unpaid, invoice.lastShortfallSlot)) await ctx.db.patch(invoice._id, { status: "paid", paidAtMs: now });
  }
}

/** Where an invoice is mailed: the Owner's e-mail and the team's billing e-mail, without repeats. */
async function recipientsOf(ctx: QueryCtx, team: Doc<"teams">): Promise<string[]> {
  const owner = await ctx.db
    .query("members")
    .withIndex("by_team_wallet", (q) => q.eq("teamId", team._id).eq("wallet", team.ownerWallet))
    .unique();
  return [...new Set([owner?.email, team.billingEmail].filter((e): e is string => e !== undefined))];
}

type QueueState = "awaiting" | "no_recipient";

/** Where an undelivered invoice of the team belongs: with the worker when someone can receive it. */
async function queueStateOf(ctx: QueryCtx, team: Doc<"teams">): Promise<QueueState> {
  return (await recipientsOf(ctx, team)).length > 0 ? "awaiting" : "no_recipient";
}

/**
 * After the team's recipients changed (its billing e-mail was set or cleared): undelivered invoices held
 * back for want of a recipient go back to the worker, or queued ones are held back when nobody is left.
 * Returns how many invoices moved.
 */
export async function requeueForRecipients(ctx: MutationCtx, teamId: Id<"teams">): Promise<number> {
  const team = await ctx.db.get(teamId);
  if (team === null) throw ledgerError("not_found", "team not found");
  const target = await queueStateOf(ctx, team);
  const from: QueueState = target === "awaiting" ? "no_recipient" : "awaiting";
  const rows = await ctx.db
    .query("invoices")
    .withIndex("by_team_delivery", (q) => q.eq("teamId", teamId).eq("delivery", from))
    .collect();
  for (const row of rows) await ctx.db.patch(row._id, { delivery: target });
  return rows.length;
}

/**
 * For the delivery worker: an awaiting invoice it found without recipients is held back ("no_recipient")
 * so it no longer takes a place in the worker's batch. Checked here, not trusted: a team that has a
 * recipient again is refused (`conflict`), as is a delivered invoice. Holding back twice is a no-op.
 */
export async function holdBackWithoutRecipient(ctx: MutationCtx, invoiceId: Id<"invoices">): Promise<void> {
  const invoice = await ctx.db.get(invoiceId);
  if (invoice === null) throw ledgerError("not_found", "invoice not found");
  if (invoice.delivery === "no_recipient") return;
  if (invoice.delivery === "delivered") throw ledgerError("conflict", "invoice already delivered");
  const team = await ctx.db.get(invoice.teamId);
  if (team === null) throw ledgerError("not_found", "team not found");
  if ((await queueStateOf(ctx, team)) === "awaiting") throw ledgerError("conflict", "the team has a recipient for this invoice");
  await ctx.db.patch(invoice._id, { delivery: "no_recipient" });
  await audit(ctx, { teamId: invoice.teamId, actor: "server", action: "invoice.held_without_recipient", target: invoice.month });
}

/** The invoice as a document: everything a PDF renderer or a mailer needs. */
export async function invoiceDocument(ctx: QueryCtx, invoice: Doc<"invoices">) {
  const team = await ctx.db.get(invoice.teamId);
  if (team === null) throw ledgerError("not_found", "team not found");
  const terms = tierTerms(invoice.tier);
  return {
    invoiceId: invoice._id,
    number: `INV-${invoice.month}-${invoice._id.slice(-8).toUpperCase()}`,
    team: {
      teamId: team._id,
      name: team.name,
      ownerWallet: team.ownerWallet,
      chainTeam: team.chainTeam ?? null,
      vault: team.vault ?? null,
      billingEmail: team.billingEmail ?? null,
    },
    month: invoice.month,
    periodStartMs: invoice.periodStartMs,
    periodEndMs: invoice.periodEndMs,
    tier: invoice.tier,
    tierName: terms.name,
    lines: invoice.lines,
    members: invoice.members.map((m) => ({ ...m, wallet: m.wallet ?? null })),
    total: invoice.total,
    unpaid: invoice.unpaid,
    currency: "USDC" as const,
    /** Base units per USDC, for display. */
    decimals: 6,
    status: invoice.status,
    paidAtMs: invoice.paidAtMs ?? null,
    delivery: invoice.delivery,
    deliveredAtMs: invoice.deliveredAtMs ?? null,
    deliveredTo: invoice.deliveredTo ?? [],
    recipients: await recipientsOf(ctx, team),
    generatedAtMs: invoice.generatedAtMs,
    generatedBy: invoice.generatedBy,
  };
}

export async function listTeamInvoices(ctx: QueryCtx, teamId: Id<"teams">) {
  const rows = await ctx.db
    .query("invoices")
    .withIndex("by_team_month", (q) => q.eq("teamId", teamId))
    .order("desc")
    .collect();
  return rows.map((i) => ({
    invoiceId: i._id,
    month: i.month,
    total: i.total,
    unpaid: i.unpaid,
    status: i.status,
    delivery: i.delivery,
    generatedAtMs: i.generatedAtMs,
  }));
}

export async function awaitingDelivery(ctx: QueryCtx, limit: number) {
  const rows = await ctx.db
    .query("invoices")
    .withIndex("by_delivery", (q) => q.eq("delivery", "awaiting"))
    .take(limit);
  const documents = [];
  for (const row of rows) documents.push(await invoiceDocument(ctx, row));
  return documents;
}

export async function markDelivered(ctx: MutationCtx, invoiceId: Id<"invoices">, recipients: string[], deliveredAtMs: number): Promise<void> {
  const invoice = await ctx.db.get(invoiceId);
  if (invoice === null) throw ledgerError("not_found", "invoice not found");
  if (recipients.length === 0 || recipients.length > 10) throw ledgerError("invalid_argument", "give 1 to 10 recipients");
  const deliveredTo = recipients.map((r) => normalizeEmail(r, "recipient"));
  await ctx.db.patch(invoice._id, { delivery: "delivered", deliveredAtMs, deliveredTo });
  await audit(ctx, {
    teamId: invoice.teamId,
    actor: "server",
    action: "invoice.delivered",
    target: invoice.month,
    details: { recipients: deliveredTo.join(", ") },
  });
}
