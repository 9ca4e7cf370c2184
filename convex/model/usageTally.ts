// One pass over a usage batch's records (as scanUsagePage hands them over): checks that no request id
// appears twice and sums the records into cells, one per UTC day × billing period × endpoint × member, from
// which recordBatch writes its rollups. Little per record but the id set: a record of the same day,
// period, endpoint and member as the one before (the common case; scanUsagePage hands equal fields over
// as the same values) adds to the same cell without a lookup, others find theirs by endpoint, then member
// (no key string built), and a cell sums its costs as runs of one price (count × price) instead of one
// bigint addition per record.
import { ledgerError } from "./errors";
import { utcDay } from "./format";
import { periodAt, type PeriodGrid } from "./periods";
import type { UsageRecordReceiver } from "./usagePage";

/** Milliseconds in a UTC day. */
const DAY_MS = 86_400_000;

/** The records of one UTC day × billing period × endpoint × member. */
export interface UsageCell {
  readonly day: string;
  /** Unix seconds. */
  readonly periodStart: number;
  readonly endpoint: string;
  readonly userId: string;
  /** Units of its records (a plain sum, as the rollups keep it). */
  requests: number;
  /** Cost of its records in base units, once `finish` has run; until then the runs before the current one. */
  cost: bigint;
  /** The current run: `runCount` records at `runPrice` each, not yet in `cost`. */
  runPrice: bigint;
  runCount: number;
}

/** The cells of one day × period, by endpoint, then member. */
type CellGroup = Map<string, Map<string, UsageCell>>;

export class UsageTally implements UsageRecordReceiver {
  /** Every cell, in the order of its first record. */
  readonly cells: UsageCell[] = [];
  /** Cell groups by `<day> <periodStart>`. */
  private readonly groups = new Map<string, CellGroup>();
  private group: CellGroup | null = null;
  /** Records seen. */
  count = 0;
  private readonly requestIds = new Set<string>();
  // The batch's units: a number while the sum is exact, carried into a bigint when it would not be.
  private unitsLow = 0;
  private unitsHigh = 0n;
  // The day [dayFrom, dayFrom + DAY_MS) and period [periodFrom, periodTo) of the last record, ms.
  private dayFrom = Number.NaN;
  private day = "";
  private periodFrom = Number.NaN;
  private periodTo = Number.NaN;
  private periodStart = 0;
  private last: UsageCell | null = null;

  constructor(private readonly grid: PeriodGrid) {}

  add(requestId: string, timestampMs: number, endpoint: string, userId: string, units: number, cost: bigint): void {
    const ids = this.requestIds;
    if (ids.has(requestId)) throw ledgerError("invalid_argument", `requestId ${requestId} appears twice`);
    ids.add(requestId);
    this.count++;
    if (!Number.isSafeInteger(this.unitsLow + units)) {
      this.unitsHigh += BigInt(this.unitsLow);
      this.unitsLow = 0;
    }
    this.unitsLow += units;

    let cell = this.last;
    if (!(timestampMs >= this.dayFrom && timestampMs < this.dayFrom + DAY_MS)) {
      this.dayFrom = Math.floor(timestampMs / DAY_MS) * DAY_MS;
      this.day = utcDay(timestampMs);
      this.group = null;
    }
    if (!(timestampMs >= this.periodFrom && timestampMs < this.periodTo)) {
      const { start, end } = periodAt(this.grid, timestampMs);
      this.periodStart = start;
      this.periodFrom = start * 1000;
      this.periodTo = end * 1000;
      this.group = null;
    }
    if (this.group === null) {
      const key = `${this.day} ${this.periodStart}`;
      this.group = this.groups.get(key) ?? null;
      if (this.group === null) this.groups.set(key, (this.group = new Map()));
      cell = null;
    }
    if (cell === null || cell.endpoint !== endpoint || cell.userId !== userId) {
      let byUser = this.group.get(endpoint);
      if (byUser === undefined) this.group.set(endpoint, (byUser = new Map()));
      cell = byUser.get(userId) ?? null;
      if (cell === null) {
        cell = { day: this.day, periodStart: this.periodStart, endpoint, userId, requests: 0, cost: 0n, runPrice: cost, runCount: 0 };
        byUser.set(userId, cell);
        this.cells.push(cell);
      }
      this.last = cell;
    }
    cell.requests += units;
    if (cost !== cell.runPrice) {
      cell.cost += cell.runPrice * BigInt(cell.runCount);
      cell.runPrice = cost;
      cell.runCount = 0;
    }
    cell.runCount++;
  }

  /** Closes every cell's last run; returns the batch's units and cost (base units). */
  finish(): { units: bigint; cost: bigint } {
    let cost = 0n;
    for (const cell of this.cells) {
      cell.cost += cell.runPrice * BigInt(cell.runCount);
      cell.runCount = 0;
      cost += cell.cost;
    }
    return { units: this.unitsHigh + BigInt(this.unitsLow), cost };
  }
}
