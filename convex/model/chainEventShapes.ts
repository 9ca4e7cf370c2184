// Program events as the ledger receives them from the chain indexer, one shape per history kind.
// Names follow the contract (`UsageDeducted` → `usage.deducted`, fields in camelCase). Amounts and u64
// counters are bigint (base units / counts); times from the chain are unix seconds.
import { v, type Infer } from "convex/values";

/**
 * Where an event sits on chain. `(signature, instructionIndex, eventIndex)` is unique: one instruction can
 * emit several events (`deduct_usage` emits `UsageDeducted`, `RevenueDistributed`, maybe `LowBalanceAlert`),
 * so `eventIndex` is the event's position among the events of that instruction (0 for the first).
 */
export const eventPosition = {
  signature: v.string(),
  instructionIndex: v.number(),
  eventIndex: v.number(),
  slot: v.number(),
  /** Block time of the transaction, unix seconds. */
  blockTime: v.number(),
  /** The team's on-chain account (TeamBillingAccount PDA), base58. */
  team: v.string(),
};

export const eventPayloads = {
  "team.created": { owner: v.string(), vault: v.string(), tier: v.number(), periodEnd: v.number() },
  "funds.deposited": { depositor: v.string(), amount: v.int64(), balanceAfter: v.int64() },
  "usage.deducted": {
    batchSeq: v.int64(),
    requestCount: v.int64(),
    amountCharged: v.int64(),
    amountPaid: v.int64(),
    amountWaived: v.int64(),
    periodRequests: v.int64(),
    balanceAfter: v.int64(),
    /** Merkle root of the batch's usage records, 64 hex characters. */
    usageRoot: v.string(),
  },
  "low_balance.alert": { owner: v.string(), balance: v.int64(), threshold: v.int64(), timestamp: v.number() },
  "withdrawal.requested": { amount: v.int64(), unlockAt: v.number() },
  "funds.withdrawn": { owner: v.string(), amount: v.int64(), balanceAfter: v.int64() },
  "tier.updated": { oldTier: v.number(), newTier: v.number(), effectiveAt: v.number(), proratedFee: v.int64() },
  "period.rolled": { periodStart: v.number(), periodEnd: v.number(), tier: v.number(), baseFeeCharged: v.int64() },
  /** source: 0 base fee, 1 overage, 2 proration, 3 debt. */
  "revenue.distributed": { source: v.number(), treasuryAmount: v.int64(), stakerAmount: v.int64() },
} as const;

export type ChainEventKind = keyof typeof eventPayloads;
export const chainEventKinds = Object.keys(eventPayloads) as ChainEventKind[];

/** Kinds listed in the billing history (the rest are stored, and used for invoices and alerts). */
export const historyKinds: ReadonlySet<ChainEventKind> = new Set<ChainEventKind>([
  "funds.deposited",
  "usage.deducted",
  "withdrawal.requested",
  "funds.withdrawn",
  "tier.updated",
  "period.rolled",
]);

export const chainEventInput = v.union(
  v.object({ kind: v.literal("team.created"), ...eventPosition, ...eventPayloads["team.created"] }),
  v.object({ kind: v.literal("funds.deposited"), ...eventPosition, ...eventPayloads["funds.deposited"] }),
  v.object({ kind: v.literal("usage.deducted"), ...eventPosition, ...eventPayloads["usage.deducted"] }),
  v.object({ kind: v.literal("low_balance.alert"), ...eventPosition, ...eventPayloads["low_balance.alert"] }),
  v.object({ kind: v.literal("withdrawal.requested"), ...eventPosition, ...eventPayloads["withdrawal.requested"] }),
  v.object({ kind: v.literal("funds.withdrawn"), ...eventPosition, ...eventPayloads["funds.withdrawn"] }),
  v.object({ kind: v.literal("tier.updated"), ...eventPosition, ...eventPayloads["tier.updated"] }),
  v.object({ kind: v.literal("period.rolled"), ...eventPosition, ...eventPayloads["period.rolled"] }),
  v.object({ kind: v.literal("revenue.distributed"), ...eventPosition, ...eventPayloads["revenue.distributed"] }),
);
export type ChainEventInput = Infer<typeof chainEventInput>;

/** What the ledger adds when it stores an event: the ledger team (when known) and the history flag. */
const stored = { teamId: v.optional(v.id("teams")), inHistory: v.boolean() };

export const chainEventDoc = v.union(
  v.object({ kind: v.literal("team.created"), ...stored, ...eventPosition, ...eventPayloads["team.created"] }),
  v.object({ kind: v.literal("funds.deposited"), ...stored, ...eventPosition, ...eventPayloads["funds.deposited"] }),
  v.object({ kind: v.literal("usage.deducted"), ...stored, ...eventPosition, ...eventPayloads["usage.deducted"] }),
  v.object({ kind: v.literal("low_balance.alert"), ...stored, ...eventPosition, ...eventPayloads["low_balance.alert"] }),
  v.object({ kind: v.literal("withdrawal.requested"), ...stored, ...eventPosition, ...eventPayloads["withdrawal.requested"] }),
  v.object({ kind: v.literal("funds.withdrawn"), ...stored, ...eventPosition, ...eventPayloads["funds.withdrawn"] }),
  v.object({ kind: v.literal("tier.updated"), ...stored, ...eventPosition, ...eventPayloads["tier.updated"] }),
  v.object({ kind: v.literal("period.rolled"), ...stored, ...eventPosition, ...eventPayloads["period.rolled"] }),
  v.object({ kind: v.literal("revenue.distributed"), ...stored, ...eventPosition, ...eventPayloads["revenue.distributed"] }),
);
