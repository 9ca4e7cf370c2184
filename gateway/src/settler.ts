// The settler: turns the usage log into on-chain charges, per team, in batches.
//
// One round:
//   1. teams due: an open batch (in flight, e.g. from before a restart), or pending usage older than
//      flushIntervalMs, costing at least flushCost, or numbering maxRecordsPerBatch;
//   2. one chain read of those teams (and the cluster clock);
//   3. a team without an open batch gets one: its first pending requests, batch_seq = last_batch_seq + 1,
//      sealed durably in the usage log before anything is sent (so a retry after a crash reuses the same
//      seq and the same records — the chain charges a seq once), with the chain state it will be priced
//      from (PricingBasis);
//   4. each batch is recorded in the ledger (idempotent by batch id) with its usage-receipt root, each
//      record costing its share of the batch's charge as the chain prices it from that basis;
//   5. batches go out packed into transactions (roll_period first where due, then deduct_usage), as many
//      teams per transaction as fit; a transaction refused by the program is retried team by team;
//   6. a batch is settled when its transaction confirms or the chain already shows its seq
//      (BatchAlreadySettled): the log records it, the ledger marks it settled with the signature, and the
//      gate's reservation ends once the balance source shows it.
// Rounds never overlap and a team has at most one open batch: never two batches in flight per team.
//
// Several settlers (gateway instances) serving one team: the ledger decides who owns a batch_seq — the
// first to record `<team>:<seq>` (ledger first, so nobody sends a seq before recording it). A settler whose
// batch meets another's records under its id (BatchConflictError) never sent it: it gives the batch back to
// its log unsent (unseal) and seals the same requests under the next free seq. And a seq the chain shows
// settled counts as this settler's only once the ledger confirms it holds this batch's records under it.
import { programErrorOf } from "../../sdk/src/errors";
import { toHex } from "../../sdk/src/receipts";
import { InlineRootComputer, type RootComputer } from "./settle/root-computer";
import { batchTotals as totals, chargeBatch, type ChargedBatch } from "./settle/batch-charges";
import type { TransactionInstruction } from "@solana/web3.js";
import type { TeamBillingAccount } from "../../sdk/src/accounts";
import type { Gate } from "./gate";
import type { PricingBasis, UsageLog, SealedBatch } from "./usage/log";
import { periodAfterRoll } from "./pricing";
import { rollDue, type SettlementChain } from "./chain/settlement-chain";
import { FULL_SHARE_BPS } from "./balance/team-book";
import { BatchConflictError, type BatchToRecord, type SettlementLedger } from "./ledger/settlement-ledger";
import { UNATTRIBUTED_USER_ID } from "../../convex/model/format";

/** User id the ledger and the receipts carry for requests without X-User-ID (attributed to the team);
 * the ledger reserves it so no member can take it. */
export { UNATTRIBUTED_USER_ID };

export interface SettlerOptions {
  log: UsageLog;
  gate: Gate;
  ledger: SettlementLedger;
  chain: SettlementChain;
  /** Pending usage older than this is settled. Default 2_000 ms. */
  flushIntervalMs?: number;
  /** Pending cost at or above this is settled at once. Default 1_000_000n (1 USDC). */
  flushCost?: bigint;
  /** Most requests per batch (the ledger takes up to 100,000 records per batch). Default 20_000. */
  maxRecordsPerBatch?: number;
  /** Most teams per transaction (also bounded by the transaction size). Default 8. */
  maxTeamsPerTx?: number;
  /**
   * Least time between two batches of one team, ms (a team's open batch is retried regardless, and a forced
   * round — drain, close — ignores it). Default 1_000: a busy team settles about once a second in one
   * transaction instead of at every tick, which costs the chain, the ledger and the gateway less per request.
   */
  minBatchIntervalMs?: number;
  /** How often the timer looks for due teams. Default 250 ms. */
  tickMs?: number;
  /** Minimum time between two compactions of the usage log. Default 60_000 ms. */
  compactEveryMs?: number;
  /** Called with the teams whose batches settled (e.g. ChainBalanceSource.refresh). */
  onSettled?: (teams: string[]) => Promise<void> | void;
  /**
   * Awaited with the teams of the batches about to be sent, after the ledger holds their records; when it
   * fails, they wait for a later round (the same batch_seq). The runtime passes a balance-lease renewal, so
   * the ledger holds a batch's share (Gate.leaseSpend) before it can be on chain, whatever happens after.
   */
  beforeSend?: (teams: string[]) => Promise<void>;
  /** Computes usage-receipt roots. Default in-process; the runtime passes a worker-thread one. */
  roots?: RootComputer;
  /** Clock, unix ms. Default Date.now. */
  now?: () => number;
}

export interface RoundReport {
  sealed: number;
  settled: number;
  /** Units (requests) of the settled batches. */
  settledUnits: bigint;
  transactions: number;
  /** Batches left for a later round, with why. */
  deferred: { team: string; seq: bigint; reason: string }[];
}

interface Work {
  team: string;
  account: TeamBillingAccount;
  batch: SealedBatch;
  roll: boolean;
  ixs: TransactionInstruction[];
}

const batchIdOf = (team: string, seq: bigint) => `${team}:${seq}`;

export class Settler {
  private readonly o: Required<Omit<SettlerOptions, "onSettled" | "beforeSend">> & Pick<SettlerOptions, "onSettled" | "beforeSend">;
  private readonly rootComputer: RootComputer;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RoundReport> | null = null;
  /** Batches this process recorded in the ledger (a restart records again: the ledger is idempotent). */
  private readonly recorded = new Set<string>();
  /** Settled batches whose ledger mark failed, retried each round. */
  private readonly toMark = new Map<string, string>();
  /** Batches marked failed in the ledger already (a gap is reported once). */
  private readonly reportedFailed = new Set<string>();
  private lastCompactAt = 0;
  /** Clock ms when each team's last batch was sealed (minBatchIntervalMs). */
  private readonly lastSealAt = new Map<string, number>();
  /** Totals since start. */
  settledBatches = 0;
  settledUnits = 0n;
  /** Batches given back unsent because another settler held their seq. */
  givenBack = 0;
  /** The last failure or warning of a round; cleared by a round with nothing deferred. */
  lastError: unknown = null;

  constructor(options: SettlerOptions) {
    this.rootComputer = options.roots ?? new InlineRootComputer();
    this.o = {
      roots: this.rootComputer,
      flushIntervalMs: 2_000,
      flushCost: 1_000_000n,
      maxRecordsPerBatch: 20_000,
      maxTeamsPerTx: 8,
      minBatchIntervalMs: 1_000,
      tickMs: 250,
      compactEveryMs: 60_000,
      now: Date.now,
      ...options,
    };
    for (const name of ["flushIntervalMs", "maxRecordsPerBatch", "maxTeamsPerTx", "tickMs", "compactEveryMs"] as const) {
      const v = this.o[name];
      if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`settler: ${name} must be a positive integer, got ${v}`);
    }
    const gap = this.o.minBatchIntervalMs;
    if (!(Number.isInteger(gap) && gap >= 0)) throw new RangeError(`settler: minBatchIntervalMs must be a non-negative integer, got ${gap}`);
    if (this.o.maxRecordsPerBatch > 100_000) throw new RangeError("settler: maxRecordsPerBatch is at most 100000 (the ledger's limit)");
    if (typeof this.o.flushCost !== "bigint" || this.o.flushCost < 0n) throw new RangeError("settler: flushCost must be a non-negative bigint");
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.running === null) void this.settleOnce().catch(() => undefined);
    }, this.o.tickMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One round (see the top of this file); `force` settles all pending usage regardless of age or cost. */
  settleOnce(force = false): Promise<RoundReport> {
    if (this.running !== null) return this.running.then(() => this.settleOnce(force));
    const errorBefore = this.lastError;
    this.running = this.round(force)
      .then((report) => {
        // A clean round (nothing deferred, no new error, no ledger mark owed): nothing to report any more.
        if (report.deferred.length === 0 && this.lastError === errorBefore && this.toMark.size === 0) this.lastError = null;
        return report;
      })
      .catch((err: unknown) => {
        this.lastError = err;
        throw err;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /**
   * Settles rounds until nothing is unsettled, until a round makes no progress `maxIdleRounds` times in a
   * row (the chain or ledger refusing), or until clock time `untilMs` (no new round starts after it);
   * resolves with the number of requests left unsettled.
   */
  async drain(o: { maxIdleRounds?: number; untilMs?: number } = {}): Promise<number> {
    const maxIdleRounds = o.maxIdleRounds ?? 3;
    const untilMs = o.untilMs ?? Number.POSITIVE_INFINITY;
    let idle = 0;
    while (this.o.log.unsettled > 0 && idle < maxIdleRounds && this.o.now() < untilMs) {
      let progressed = false;
      try {
        const r = await this.settleOnce(true);
        progressed = r.settled > 0;
      } catch {
        progressed = false;
      }
      idle = progressed ? 0 : idle + 1;
    }
    return this.o.log.unsettled;
  }

  private due(team: string, now: number, force: boolean): boolean {
    const log = this.o.log;
    if (log.openBatch(team) !== null) return true;
    const pending = log.pending(team);
    if (pending.length === 0) return false;
    if (force) return true;
    if (now - (this.lastSealAt.get(team) ?? Number.NEGATIVE_INFINITY) < this.o.minBatchIntervalMs) return false;
    if (pending.length >= this.o.maxRecordsPerBatch) return true;
    if (now - pending.timestampMs(0) >= this.o.flushIntervalMs) return true;
    return log.pendingCost(team) >= this.o.flushCost;
  }

  private async round(force: boolean): Promise<RoundReport> {
    const { log, gate, chain } = this.o;
    const report: RoundReport = { sealed: 0, settled: 0, settledUnits: 0n, transactions: 0, deferred: [] };
    await this.retryMarks();
    const now = this.o.now();
    const teams = log.teamsWithUsage().filter((t) => this.due(t, now, force));
    if (teams.length === 0) return report;

    const { nowSec, teams: accounts } = await chain.readTeams(teams);
    gate.noteChainClock(Number(nowSec)); // before any lease report of what this round sends
    const settledTeams: string[] = [];
    const work: Work[] = [];
    for (const team of teams) {
      const account = accounts.get(team);
      if (!account) {
        report.deferred.push({ team, seq: 0n, reason: "team account not found on chain" });
        continue;
      }
      let batch = log.openBatch(team);
      if (batch === null) {
        // The batch is priced from the team's chain state and tier terms: read them first if the gate has
        // none (usage replayed after a restart, no request since). Sealed without them, a batch would keep
        // the gate's prices, which the chain's charge need not match.
        try {
          await gate.observeTeam(team);
        } catch (err) {
          this.lastError = err;
          report.deferred.push({ team, seq: 0n, reason: `chain: ${(err as Error).message}` });
          continue;
        }
        const pending = log.pending(team);
        const seq = account.lastBatchSeq + 1n;
        batch = await log.seal(team, seq, Math.min(pending.length, this.o.maxRecordsPerBatch), this.basisFor(team, account, nowSec));
        this.lastSealAt.set(team, now);
        const t = totals(batch);
        gate.sealReservation(team, seq, t.units, t.cost);
        report.sealed += 1;
      }
      if (account.lastBatchSeq >= batch.seq) {
        // The chain has this seq: charged already if the batch is ours (a confirmation we never saw, before
        // a restart), which the ledger tells — it holds this batch's records under the id, or another's.
        try {
          await this.record(batch);
        } catch (err) {
          if (err instanceof BatchConflictError) await this.giveBack(batch, report);
          else {
            this.lastError = err;
            report.deferred.push({ team, seq: batch.seq, reason: `ledger: ${(err as Error).message}` });
          }
          continue;
        }
        await this.finalize(batch, null, report);
        settledTeams.push(team);
        continue;
      }
      if (batch.seq > account.lastBatchSeq + 1n) {
        const reason = `batch_seq ${batch.seq} is ahead of the chain's last_batch_seq ${account.lastBatchSeq}`;
        await this.reportFailed(batch, reason);
        report.deferred.push({ team, seq: batch.seq, reason });
        continue;
      }
      work.push({ team, account, batch, roll: rollDue(account, nowSec), ixs: [] });
    }

    // Ledger first: a batch is on chain only once the ledger holds its records.
    const ready: Work[] = [];
    for (const w of work) {
      try {
        await this.record(w.batch);
        w.ixs = await chain.instructions({
          teamOwner: w.account.owner,
          seq: w.batch.seq,
          requestCount: totals(w.batch).units,
          usageRoot: await this.rootOf(w.batch),
          roll: w.roll,
        });
        ready.push(w);
      } catch (err) {
        if (err instanceof BatchConflictError) {
          await this.giveBack(w.batch, report);
          continue;
        }
        this.lastError = err;
        report.deferred.push({ team: w.team, seq: w.batch.seq, reason: `ledger: ${(err as Error).message}` });
      }
    }

    let sendable = ready;
    if (ready.length > 0 && this.o.beforeSend !== undefined) {
      try {
        await this.o.beforeSend(ready.map((w) => w.team));
      } catch (err) {
        this.lastError = err;
        for (const w of ready) report.deferred.push({ team: w.team, seq: w.batch.seq, reason: `before send: ${(err as Error).message}` });
        sendable = [];
      }
    }
    for (const group of this.pack(sendable)) {
      await this.sendGroup(group, report, settledTeams);
    }
    if (settledTeams.length > 0) {
      await Promise.resolve(this.o.onSettled?.(settledTeams)).catch((err: unknown) => {
        this.lastError = err;
      });
      if (this.o.now() - this.lastCompactAt >= this.o.compactEveryMs) {
        this.lastCompactAt = this.o.now();
        await log.compact().catch((err: unknown) => {
          this.lastError = err;
        });
      }
    }
    return report;
  }

  /**
   * What deduct_usage will price the team's next batch from: the account after the roll_period sent with
   * it (a period that has ended starts over, at its pending tier), with the tier's terms as the gate holds
   * them. Null when the gate holds no terms for the team (its records then keep the gate's prices).
   */
  private basisFor(team: string, account: TeamBillingAccount, nowSec: bigint): PricingBasis | null {
    const period = periodAfterRoll(account, nowSec >= account.periodEnd);
    const terms = this.o.gate.book(team)?.state?.tiers[period.tier];
    if (terms === undefined) return null;
    return {
      includedRequests: terms.includedRequests,
      overagePrice: terms.overagePrice,
      periodRequests: period.periodRequests,
      periodOverageSpend: period.periodOverageSpend,
      spendCap: account.spendCap,
    };
  }

  /** Greedy packing: teams in order while the transaction fits and maxTeamsPerTx allows. */
  private pack(work: Work[]): Work[][] {
    const groups: Work[][] = [];
    let current: Work[] = [];
    for (const w of work) {
      const candidate = [...current, w];
      if (current.length > 0 && (candidate.length > this.o.maxTeamsPerTx || !this.o.chain.fits(candidate.flatMap((c) => c.ixs)))) {
        groups.push(current);
        current = [w];
      } else {
        current = candidate;
      }
    }
    if (current.length > 0) groups.push(current);
    return groups;
  }

  private async sendGroup(group: Work[], report: RoundReport, settledTeams: string[]): Promise<void> {
    try {
      const signature = await this.o.chain.send(group.flatMap((w) => w.ixs));
      report.transactions += 1;
      for (const w of group) {
        await this.finalize(w.batch, signature, report);
        settledTeams.push(w.team);
      }
      return;
    } catch (err) {
      this.lastError = err;
      const programError = programErrorOf(err);
      if (programError === null || group.length === 1) {
        for (const w of group) await this.refused(w, err, report, settledTeams);
        return;
      }
    }
    // The program refused one of the instructions: isolate it by sending each team alone.
    for (const w of group) await this.sendGroup([w], report, settledTeams);
  }

  private async refused(w: Work, err: unknown, report: RoundReport, settledTeams: string[]): Promise<void> {
    const programError = programErrorOf(err);
    if (programError?.name === "BatchAlreadySettled") {
      await this.finalize(w.batch, null, report);
      settledTeams.push(w.team);
      return;
    }
    const reason = programError ? `program error ${programError.name ?? programError.code}` : `send: ${(err as Error).message}`;
    if (programError?.name === "BatchSequenceGap") await this.reportFailed(w.batch, reason);
    report.deferred.push({ team: w.team, seq: w.batch.seq, reason });
  }

  private async record(batch: SealedBatch): Promise<void> {
    const batchId = batchIdOf(batch.team, batch.seq);
    if (this.recorded.has(batchId)) return;
    const charged = await this.chargesOf(batch);
    const toRecord: BatchToRecord = {
      batchId,
      teamId: batch.entries.teamId(0),
      batchSeq: batch.seq,
      requestCount: totals(batch).units,
      amount: charged.amount,
      usageRoot: toHex(await this.rootOf(batch)),
      records: { columns: { fields: charged.fields, costs: charged.costs } },
    };
    await this.o.ledger.recordBatch(toRecord);
    this.recorded.add(batchId);
    // The ledger's member figures now include this batch: move it out of the gate's unrecorded spending.
    const at = this.o.now();
    const entries = batch.entries;
    for (let i = 0; i < entries.length; i++) {
      const userId = entries.userId(i);
      if (userId !== null) this.o.gate.members.recorded(entries.teamId(i), userId, entries.cost(i), at);
    }
  }

  /** Charges (with the receipt fields) and roots of the batches in flight, computed once per batch (a retry reuses them). */
  private readonly charges = new Map<string, Promise<ChargedBatch>>();
  private readonly roots = new Map<string, Promise<Uint8Array>>();

  /**
   * The batch's receipt fields and what each record is charged (settle/batch-charges.ts), computed once per
   * batch. The page texts are written from these by the ledger's side (settle/batch-pages.ts): in the I/O
   * thread where there is one.
   */
  private chargesOf(batch: SealedBatch): Promise<ChargedBatch> {
    const id = batchIdOf(batch.team, batch.seq);
    let charged = this.charges.get(id);
    if (charged === undefined) {
      charged = chargeBatch(batch);
      charged.catch(() => this.charges.delete(id)); // a failure is retried next round
      this.charges.set(id, charged);
    }
    return charged;
  }

  /** The batch's usage-receipt root (sdk/src/receipts.ts), computed once per batch, off this thread when it can. */
  private rootOf(batch: SealedBatch): Promise<Uint8Array> {
    const id = batchIdOf(batch.team, batch.seq);
    let root = this.roots.get(id);
    if (root === undefined) {
      root = this.chargesOf(batch).then((c) => this.rootComputer.root({ team: batch.team, seq: batch.seq, fields: c.fields, costs: c.costs }));
      root.catch(() => this.roots.delete(id)); // a failure is retried next round
      this.roots.set(id, root);
    }
    return root;
  }

  /**
   * Another settler recorded this batch's seq first: the batch goes back to the log unsent, its requests
   * ahead of the pending ones, and the next round seals them under a free seq.
   */
  private async giveBack(batch: SealedBatch, report: RoundReport): Promise<void> {
    const id = batchIdOf(batch.team, batch.seq);
    try {
      await this.o.log.unseal(batch.team, batch.seq);
    } catch (err) {
      this.lastError = err;
      report.deferred.push({ team: batch.team, seq: batch.seq, reason: `usage log: ${(err as Error).message}` });
      return;
    }
    this.roots.delete(id);
    this.charges.delete(id);
    this.lastSealAt.delete(batch.team);
    const t = totals(batch);
    this.o.gate.unsealReservation(batch.team, batch.seq, t.units, t.cost);
    this.givenBack += 1;
    if (this.o.gate.options.instanceShareBps === FULL_SHARE_BPS) {
      // Another gateway settles this team while this one admits against all of its funds.
      this.lastError = new Error(
        `another gateway's settler serves team ${batch.team} too: give every instance an instanceShareBps (summing to at most ${FULL_SHARE_BPS}) so together they admit no more than the team's balance`,
      );
    }
    report.deferred.push({ team: batch.team, seq: batch.seq, reason: `batch_seq ${batch.seq} belongs to another settler's batch in the ledger; sealed again under the next` });
  }

  private async finalize(batch: SealedBatch, signature: string | null, report: RoundReport): Promise<void> {
    await this.o.log.settle(batch.team, batch.seq, signature);
    const id = batchIdOf(batch.team, batch.seq);
    this.roots.delete(id);
    this.charges.delete(id);
    this.recorded.delete(id); // the chain is past this seq: no batch of this id will come again
    const units = totals(batch).units;
    report.settled += 1;
    report.settledUnits += units;
    this.settledBatches += 1;
    this.settledUnits += units;
    // Without our signature (found settled on chain) the indexer marks the batch from its UsageDeducted event.
    if (signature !== null) {
      try {
        await this.o.ledger.markSettled(id, signature);
      } catch (err) {
        this.lastError = err;
        this.toMark.set(id, signature);
      }
    }
  }

  private async retryMarks(): Promise<void> {
    for (const [id, signature] of [...this.toMark]) {
      try {
        await this.o.ledger.markSettled(id, signature);
        this.toMark.delete(id);
      } catch (err) {
        this.lastError = err;
        return;
      }
    }
  }

  private async reportFailed(batch: SealedBatch, reason: string): Promise<void> {
    const id = batchIdOf(batch.team, batch.seq);
    if (this.reportedFailed.has(id)) return;
    try {
      await this.record(batch);
      await this.o.ledger.markFailed(id, reason);
      this.reportedFailed.add(id);
    } catch (err) {
      this.lastError = err;
    }
  }

  /** Ledger marks still owed (settled on chain, ledger unreachable at the time). */
  get marksOwed(): number {
    return this.toMark.size;
  }
}
