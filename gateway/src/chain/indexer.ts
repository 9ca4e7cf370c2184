// The chain indexer: follows the program's transactions and feeds their events into the ledger
// (chain.ingestChainEvents, idempotent by signature + instruction + event position), then sends the ledger a
// fresh balance snapshot of every team the events touched (chain.syncBalance).
//
// Events are attributed to the top-level instruction that emitted them: the logs of a transaction are
// cut at each "Program … invoke [1]" line and each piece is decoded by the SDK (parseEvents); failed
// transactions are skipped (their events were rolled back with them).
import { PublicKey, type Connection } from "@solana/web3.js";
import { PROGRAM_ID } from "../../../sdk/src/constants";
import { parseEvents, type BillingEvent } from "../../../sdk/src/events";
import type { ChainEventInput } from "../../../convex/model/chainEventShapes";
import type { TeamBillingAccount } from "../../../sdk/src/accounts";
import type { TeamChainState } from "../balance/source";

/** A confirmed transaction that involved the program. */
export interface ProgramTransaction {
  signature: string;
  slot: number;
  /** Unix seconds. */
  blockTime: number;
  logs: readonly string[];
  failed: boolean;
}

/** New program transactions, oldest first, each once; `commit` acknowledges them after ingestion. */
export interface ProgramTransactionSource {
  poll(): Promise<{ transactions: ProgramTransaction[]; commit(): Promise<void> }>;
}

export interface BalanceSnapshot {
  chainTeam: string;
  slot: number;
  vaultBalance: bigint;
  unpaidBaseFee: bigint;
  unpaidOverage: bigint;
  pendingWithdrawal: bigint;
  withdrawalUnlockAt: number;
  tier: number;
  status: number;
  periodStart: number;
  periodEnd: number;
  periodRequests: bigint;
}

export interface IndexerLedger {
  /** Stores events idempotently (at most 500 per call). */
  ingest(events: ChainEventInput[]): Promise<void>;
  /** A balance snapshot; a team the ledger does not know is skipped. */
  syncBalance(snapshot: BalanceSnapshot): Promise<void>;
}

/** What the indexer reads balances from (ChainBalanceSource implements it). */
export interface SnapshotReader {
  refresh(teams: readonly string[]): Promise<void>;
  latest(team: string): TeamChainState | null | undefined;
  account(team: string): TeamBillingAccount | undefined;
}

const INVOKE_TOP = /^Program (\w+) invoke \[1\]$/;
const EVENTS_PER_CALL = 500;

/** The ledger's form of one decoded event; null for events with no team (ConfigUpdated). */
export function toLedgerEvent(
  e: BillingEvent,
  at: { signature: string; instructionIndex: number; eventIndex: number; slot: number; blockTime: number },
): ChainEventInput | null {
  const n = (v: bigint) => Number(v);
  switch (e.name) {
    case "TeamAccountCreated":
      return { kind: "team.created", ...at, team: e.data.team, owner: e.data.owner, vault: e.data.vault, tier: e.data.tier, periodEnd: n(e.data.periodEnd) };
    case "FundsDeposited":
      return { kind: "funds.deposited", ...at, team: e.data.team, depositor: e.data.depositor, amount: e.data.amount, balanceAfter: e.data.balanceAfter };
    case "UsageDeducted":
      return { kind: "usage.deducted", ...at, ...e.data };
    case "LowBalanceAlert":
      return { kind: "low_balance.alert", ...at, team: e.data.team, owner: e.data.owner, balance: e.data.balance, threshold: e.data.threshold, timestamp: n(e.data.timestamp) };
    case "WithdrawalRequested":
      return { kind: "withdrawal.requested", ...at, team: e.data.team, amount: e.data.amount, unlockAt: n(e.data.unlockAt) };
    case "FundsWithdrawn":
      return { kind: "funds.withdrawn", ...at, team: e.data.team, owner: e.data.owner, amount: e.data.amount, balanceAfter: e.data.balanceAfter };
    case "TierUpdated":
      return { kind: "tier.updated", ...at, team: e.data.team, oldTier: e.data.oldTier, newTier: e.data.newTier, effectiveAt: n(e.data.effectiveAt), proratedFee: e.data.proratedFee };
    case "PeriodRolled":
      return { kind: "period.rolled", ...at, team: e.data.team, periodStart: n(e.data.periodStart), periodEnd: n(e.data.periodEnd), tier: e.data.tier, baseFeeCharged: e.data.baseFeeCharged };
    case "RevenueDistributed":
      return { kind: "revenue.distributed", ...at, team: e.data.team, source: e.data.source, treasuryAmount: e.data.treasuryAmount, stakerAmount: e.data.stakerAmount };
    case "ConfigUpdated":
      return null;
  }
}

/** Every event of one transaction in the ledger's form, with its instruction and event positions. */
export function eventsOfTransaction(tx: ProgramTransaction, programId: PublicKey = PROGRAM_ID): ChainEventInput[] {
  if (tx.failed) return [];
  const out: ChainEventInput[] = [];
  let instructionIndex = -1;
  let piece: string[] = [];
  const flush = () => {
    if (instructionIndex < 0 || piece.length === 0) return;
    parseEvents(piece, programId).forEach((e, eventIndex) => {
      const ev = toLedgerEvent(e, { signature: tx.signature, instructionIndex, eventIndex, slot: tx.slot, blockTime: tx.blockTime });
      if (ev !== null) out.push(ev);
    });
  };
  for (const line of tx.logs) {
    if (INVOKE_TOP.test(line)) {
      flush();
      instructionIndex += 1;
      piece = [];
    }
    piece.push(line);
  }
  flush();
  return out;
}

export interface IndexerOptions {
  source: ProgramTransactionSource;
  ledger: IndexerLedger;
  balances: SnapshotReader;
  programId?: PublicKey;
  /** Poll interval, ms. Default 1_000. */
  pollMs?: number;
}

export class ChainIndexer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  lastError: unknown = null;
  ingested = 0;

  constructor(private readonly o: IndexerOptions) {}

  /** Ingests what the source has; resolves with the number of events. Throws (and retries later) on failure. */
  pollOnce(): Promise<number> {
    if (this.running === null) {
      this.running = this.poll().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async poll(): Promise<number> {
    const { transactions, commit } = await this.o.source.poll();
    const events = transactions.flatMap((tx) => eventsOfTransaction(tx, this.o.programId ?? PROGRAM_ID));
    for (let i = 0; i < events.length; i += EVENTS_PER_CALL) await this.o.ledger.ingest(events.slice(i, i + EVENTS_PER_CALL));
    const teams = [...new Set(events.map((e) => e.team))];
    if (teams.length > 0) {
      await this.o.balances.refresh(teams);
      for (const team of teams) {
        const state = this.o.balances.latest(team);
        const account = this.o.balances.account(team);
        if (!state || !account) continue;
        await this.o.ledger.syncBalance({
          chainTeam: team,
          slot: state.slot,
          vaultBalance: state.vaultBalance,
          unpaidBaseFee: account.unpaidBaseFee,
          unpaidOverage: account.unpaidOverage,
          pendingWithdrawal: account.pendingWithdrawal,
          withdrawalUnlockAt: Number(account.withdrawalUnlockAt),
          tier: account.tier,
          status: account.status,
          periodStart: Number(account.periodStart),
          periodEnd: Number(account.periodEnd),
          periodRequests: account.periodRequests,
        });
      }
    }
    await commit();
    this.ingested += events.length;
    return events.length;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.pollOnce().then(
        () => {
          this.lastError = null;
        },
        (err: unknown) => {
          this.lastError = err;
        },
      );
    }, this.o.pollMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

/** The part of web3.js's Connection the RPC source uses. */
export type SignaturesConnection = Pick<Connection, "getSignaturesForAddress" | "getTransaction">;

/**
 * ProgramTransactionSource over RPC: getSignaturesForAddress(program) newer than the last one ingested,
 * then getTransaction for each. The cursor lives in memory, or in `cursor` storage when given (so a
 * restart resumes; re-ingesting is harmless, the ledger is idempotent).
 */
export class RpcTransactionSource implements ProgramTransactionSource {
  private cursor: string | undefined;

  constructor(
    private readonly connection: SignaturesConnection,
    private readonly programId: PublicKey = PROGRAM_ID,
    private readonly storage?: { load(): Promise<string | undefined>; save(cursor: string): Promise<void> },
  ) {}

  async poll() {
    if (this.cursor === undefined && this.storage) this.cursor = await this.storage.load();
    const sigs: { signature: string; slot: number; blockTime?: number | null; err: unknown }[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await this.connection.getSignaturesForAddress(this.programId, { until: this.cursor, before, limit: 1000 }, "confirmed");
      sigs.push(...page);
      if (page.length < 1000) break;
      before = page[page.length - 1]!.signature;
    }
    sigs.reverse(); // oldest first
    const transactions: ProgramTransaction[] = [];
    for (const s of sigs) {
      const tx = await this.connection.getTransaction(s.signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      if (tx === null) break; // not yet available: stop here, the rest comes next poll
      transactions.push({
        signature: s.signature,
        slot: tx.slot,
        blockTime: tx.blockTime ?? s.blockTime ?? Math.floor(Date.now() / 1000),
        logs: tx.meta?.logMessages ?? [],
        failed: (tx.meta?.err ?? s.err) != null,
      });
    }
    const newest = transactions.length > 0 ? transactions[transactions.length - 1]!.signature : undefined;
    return {
      transactions,
      commit: async () => {
        if (newest === undefined) return;
        this.cursor = newest;
        await this.storage?.save(newest);
      },
    };
  }
}
