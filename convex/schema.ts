// The ledger's tables. Units: amounts are USDC base units as int64 (1 USDC = 1_000_000); `...Ms` fields are
// unix milliseconds stamped by the ledger; chain times (`periodStart`, `blockTime`, …) are unix seconds.
// Every index says which query needs it.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { chainEventDoc } from "./model/chainEventShapes";
import {
  alertKind,
  alertSeverity,
  auditValue,
  batchStatus,
  grantableRole,
  role,
  teamStatus,
  tier,
  usageRecord,
} from "./model/validators";

export const invoiceLine = v.object({
  kind: v.union(
    v.literal("base_fee"),
    v.literal("included_requests"),
    v.literal("overage"),
    v.literal("proration"),
    v.literal("debt"),
  ),
  description: v.string(),
  /** Requests for request lines, periods or changes for fee lines. */
  quantity: v.int64(),
  /** Base units per unit of quantity (0 for included requests). */
  unitPrice: v.int64(),
  /** What the vault paid for this line, base units. */
  amount: v.int64(),
  /** Charged on chain but not paid from the vault at the time (became on-chain debt), base units. */
  unpaid: v.int64(),
  /** Signatures of the transactions this line covers (the first MAX_LINE_SIGNATURES of them). */
  signatures: v.array(v.string()),
  signatureCount: v.number(),
});

export default defineSchema({
  teams: defineTable({
    name: v.string(),
    ownerWallet: v.string(),
    /** TeamBillingAccount PDA and its USDC vault, once known (from the server or the TeamAccountCreated event). */
    chainTeam: v.optional(v.string()),
    vault: v.optional(v.string()),
    tier,
    billingEmail: v.optional(v.string()),
    status: teamStatus,
    createdAtMs: v.number(),
  })
    // teams.create refuses a second team for the same owner (one TeamBillingAccount per owner on chain);
    // chain ingestion links `team.created` to the team by its owner.
    .index("by_owner", ["ownerWallet"])
    // chain ingestion and syncBalance map an event's team account to the ledger team.
    .index("by_chain_team", ["chainTeam"]),

  members: defineTable({
    teamId: v.id("teams"),
    /** The id the API is called with (`X-User-ID`); defaults to the wallet. Unique within the team. */
    userId: v.string(),
    wallet: v.string(),
    email: v.optional(v.string()),
    role,
    /** Budget per billing period in base units; absent = no limit beyond the team's balance. */
    allocation: v.optional(v.int64()),
    joinedAtMs: v.number(),
  })
    // every access check: the acting wallet's membership in a team.
    .index("by_team_wallet", ["teamId", "wallet"])
    // usage attribution and uniqueness of X-User-ID within a team; members.list and resolveApiKey.
    .index("by_team_user", ["teamId", "userId"])
    // teams.listMine: the teams a wallet belongs to.
    .index("by_wallet", ["wallet"]),

  invitations: defineTable({
    teamId: v.id("teams"),
    tokenHash: v.string(),
    email: v.string(),
    role: grantableRole,
    inviterWallet: v.string(),
    expiresAtMs: v.number(),
    /** Set once, when the invitation is used. */
    acceptedAtMs: v.optional(v.number()),
    acceptedByWallet: v.optional(v.string()),
    revokedAtMs: v.optional(v.number()),
  })
    // invitations.join: find the invitation by the hash of the presented token.
    .index("by_token_hash", ["tokenHash"])
    // invitations.list for a team.
    .index("by_team", ["teamId"]),

  apiKeys: defineTable({
    teamId: v.id("teams"),
    /** sha256 of the full key, hex. The key itself is never stored. */
    keyHash: v.string(),
    /** First characters of the key, for display ("pk_Ab12Cd34"). */
    prefix: v.string(),
    name: v.string(),
    creatorWallet: v.string(),
    createdAtMs: v.number(),
    lastUsedAtMs: v.optional(v.number()),
    revokedAtMs: v.optional(v.number()),
  })
    // resolveApiKey and touchApiKey: the gateway looks keys up by hash.
    .index("by_key_hash", ["keyHash"])
    // apiKeys.list for a team.
    .index("by_team", ["teamId"])
    // revokedSince: the gateway's revocation feed, keys revoked after a time.
    .index("by_revoked_at", ["revokedAtMs"]),

  usageBatches: defineTable({
    /** The gateway's idempotency key for this batch. */
    batchId: v.string(),
    teamId: v.id("teams"),
    batchSeq: v.int64(),
    requestCount: v.int64(),
    amount: v.int64(),
    usageRoot: v.string(),
    recordCount: v.number(),
    pageCount: v.number(),
    status: batchStatus,
    signature: v.optional(v.string()),
    failureReason: v.optional(v.string()),
    recordedAtMs: v.number(),
    settledAtMs: v.optional(v.number()),
  })
    // recordUsageBatch idempotency, markBatchSettled/Failed, getBatchRecords.
    .index("by_batch_id", ["batchId"])
    // one batch per (team, batch_seq); billing history joins a `usage.deducted` event to its batch.
    .index("by_team_seq", ["teamId", "batchSeq"]),

  usageRecordPages: defineTable({
    batch: v.id("usageBatches"),
    page: v.number(),
    /**
     * The page's records as text (model/usagePage.ts: one record per line), as recordUsageBatch received
     * them: at most RECORDS_PER_PAGE records and MAX_PAGE_TEXT_BYTES bytes, under Convex's 1 MiB
     * document limit. getBatchRecords decodes it back to record objects. Absent only on pages stored in
     * the earlier form (`records`).
     */
    text: v.optional(v.string()),
    /**
     * The page's records as objects: how pages were stored before `text`. New pages never carry it; it stays
     * in the schema so a ledger recorded then still deploys and its batches still read (getBatchRecords).
     */
    records: v.optional(v.array(usageRecord)),
  })
    // getBatchRecords: pages of a batch in order.
    .index("by_batch_page", ["batch", "page"]),

  usageRollups: defineTable({
    teamId: v.id("teams"),
    /** UTC day "YYYY-MM-DD". */
    day: v.string(),
    endpoint: v.string(),
    userId: v.string(),
    requests: v.number(),
    cost: v.int64(),
  })
    // recordUsageBatch upserts one bucket; getEndpointBreakdown, getMemberBreakdown, getTopUsers and the
    // invoice member breakdown scan a team's buckets over a day range.
    .index("by_bucket", ["teamId", "day", "endpoint", "userId"]),

  usageDaily: defineTable({
    teamId: v.id("teams"),
    day: v.string(),
    requests: v.number(),
    cost: v.int64(),
  })
    // getTeamAnalytics (daily series) and getUsageHistory (months) read one document per team-day.
    .index("by_team_day", ["teamId", "day"]),

  memberUsage: defineTable({
    teamId: v.id("teams"),
    userId: v.string(),
    /** Start of the billing period this usage counts against, unix seconds. */
    periodStart: v.number(),
    requests: v.number(),
    cost: v.int64(),
  })
    // recordUsageBatch upserts a member's period total; resolveApiKey and getMemberBreakdown read
    // allocation use for the current period.
    .index("by_team_period_user", ["teamId", "periodStart", "userId"]),

  chainEvents: defineTable(chainEventDoc)
    // ingestChainEvents idempotency: an event is unique by its position on chain.
    .index("by_position", ["signature", "instructionIndex", "eventIndex"])
    // getBillingHistory: a team's history kinds, newest first.
    .index("by_team_history", ["teamId", "inHistory", "slot"])
    // invoices: a team's events of one kind within a month (blockTime window).
    .index("by_team_kind_time", ["teamId", "kind", "blockTime"]),

  balances: defineTable({
    teamId: v.id("teams"),
    /** Slot of the chain state this row reflects; older updates are ignored. */
    slot: v.number(),
    /** Slot of the last full snapshot (syncBalance): the debt fields are as of this slot. */
    snapshotSlot: v.optional(v.number()),
    vaultBalance: v.int64(),
    unpaidBaseFee: v.int64(),
    unpaidOverage: v.int64(),
    pendingWithdrawal: v.int64(),
    withdrawalUnlockAt: v.number(),
    periodStart: v.optional(v.number()),
    periodEnd: v.optional(v.number()),
    periodRequests: v.int64(),
    updatedAtMs: v.number(),
  })
    // syncBalance, ingestion and every reader of a team's balance.
    .index("by_team", ["teamId"]),

  alerts: defineTable({
    teamId: v.id("teams"),
    kind: alertKind,
    /** The member's userId for allocation alerts, "" for team-wide alerts. */
    subject: v.string(),
    severity: alertSeverity,
    message: v.string(),
    active: v.boolean(),
    createdAtMs: v.number(),
    resolvedAtMs: v.optional(v.number()),
  })
    // alert evaluation: is this condition already alerted (active) for the team and subject?
    // alerts.list with activeOnly.
    .index("by_team_active", ["teamId", "active", "kind", "subject"])
    // alerts.list: the team's alerts, newest first.
    .index("by_team", ["teamId"]),

  invoices: defineTable({
    teamId: v.id("teams"),
    /** Calendar month billed, "YYYY-MM" (UTC). */
    month: v.string(),
    periodStartMs: v.number(),
    periodEndMs: v.number(),
    tier,
    lines: v.array(invoiceLine),
    members: v.array(
      v.object({ userId: v.string(), wallet: v.optional(v.string()), requests: v.number(), cost: v.int64() }),
    ),
    /** Sum of the lines' `amount`, base units. */
    total: v.int64(),
    /** Sum of the lines' `unpaid`, base units. */
    unpaid: v.int64(),
    /** Slot of the month's last deduction that left debt (0: none); a snapshot after it decides payment. */
    lastShortfallSlot: v.number(),
    status: v.union(v.literal("pending"), v.literal("paid")),
    paidAtMs: v.optional(v.number()),
    /**
     * "awaiting": queued for the delivery worker; "no_recipient": held back while the team has no address
     * to mail it to (no Owner e-mail, no billing e-mail), queued again when one is set; "delivered".
     */
    delivery: v.union(v.literal("awaiting"), v.literal("no_recipient"), v.literal("delivered")),
    deliveredAtMs: v.optional(v.number()),
    deliveredTo: v.optional(v.array(v.string())),
    generatedAtMs: v.number(),
    /** Wallet of the Owner who triggered it, or "cron". */
    generatedBy: v.string(),
  })
    // invoices.generate upserts one invoice per team and month; invoices.list for a team.
    .index("by_team_month", ["teamId", "month"])
    // payment evaluation: a team's pending invoices.
    .index("by_team_status", ["teamId", "status"])
    // the delivery worker: invoices awaiting delivery, oldest first.
    .index("by_delivery", ["delivery", "generatedAtMs"])
    // a team's billing e-mail changed: its held-back (or queued) invoices move between the two states.
    .index("by_team_delivery", ["teamId", "delivery"]),

  balanceLeases: defineTable({
    /** The team's chain account address (TeamBillingAccount, base58): what the gateway instances know it by. */
    team: v.string(),
    /** The gateway instance holding the lease. */
    instance: v.string(),
    /** Share of the team's funds the instance may admit against, basis points (integer, 10_000 = all). */
    bps: v.number(),
    /** Share its unsettled reservations needed at its last renewal, basis points (≤ bps). */
    floorBps: v.number(),
    /** Its last reported demand: requests per renewal window. */
    demand: v.number(),
    /** Renewed until then (unix ms); after it the lease is expired but keeps its bps (model/leases.ts). */
    expiresAtMs: v.number(),
    updatedAtMs: v.number(),
    /** Share the instance's settled spend this period took at its last renewal, basis points (≤ floorBps). */
    spentBps: v.optional(v.number()),
    /** End (unix s) of the period that spend is of, as its last renewal reported it. */
    periodEnd: v.optional(v.number()),
    /** Released while it had spent some of its period: holds spentBps until a later period is reported. */
    released: v.optional(v.boolean()),
  })
    // leases.renew: all leases of a team, for the split and the bps still free.
    .index("by_team", ["team"])
    // leases.release of some teams: an instance's lease of one team; leases.list: a team's leases by instance.
    .index("by_team_instance", ["team", "instance"])
    // leases.release without teams: every lease of an instance.
    .index("by_instance", ["instance"]),

  auditLog: defineTable({
    teamId: v.id("teams"),
    /** Acting wallet, or "server" / "cron" for work without a user. */
    actor: v.string(),
    action: v.string(),
    /** What the action touched (a key prefix, a member's userId, an invoice month …). */
    target: v.string(),
    details: v.optional(v.record(v.string(), auditValue)),
    atMs: v.number(),
  })
    // audit.list: a team's entries, newest first.
    .index("by_team", ["teamId"]),
});
