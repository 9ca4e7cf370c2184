// Stakers' revenue, read from chain: the RevenueDistributed events of the transactions that paid the
// staker pool, split by what they paid for (base fees and prorated upgrades, overage, earlier debt) and
// summed per UTC day. Transactions never change once confirmed, so their events are cached by signature.
import { RevenueSource } from "../../sdk/src/constants";
import { parseEvents, type RevenueDistributed } from "../../sdk/src/events";
import { serverEnv } from "../env";
import { connection, fromChain, requireConfig } from "../server/chain";

/** Signatures read per getSignaturesForAddress call (the RPC's maximum). */
const SIGNATURE_PAGE = 1000;
/** At most this many transactions are scanned for one page view. */
export const MAX_SCANNED = 5000;
const CACHE_LIMIT = 20_000;

export interface RevenueEvent {
  /** Unix seconds. */
  blockTime: number;
  source: number;
  treasuryAmount: bigint;
  stakerAmount: bigint;
}

export interface StakerDay {
  /** "YYYY-MM-DD", UTC. */
  day: string;
  /** Stakers' share of base fees and prorated upgrades, base units. */
  baseFee: bigint;
  /** Stakers' share of overage (usage beyond the included requests), base units. */
  overage: bigint;
  /** Stakers' share of earlier unpaid fees collected later, base units. */
  debt: bigint;
  total: bigint;
}

export interface StakerRevenue {
  days: StakerDay[];
  totals: { baseFee: bigint; overage: bigint; debt: bigint; total: bigint; treasury: bigint };
  /** Transactions read; `truncated` when the scan stopped at MAX_SCANNED before the window's start. */
  scanned: number;
  truncated: boolean;
}

const DAY_SECS = 86_400;

function dayOf(secs: number): string {
  return new Date(secs * 1000).toISOString().slice(0, 10);
}

/** Sums events per UTC day over the last `days` days (today included, zero-filled, oldest first). */
export function aggregateRevenue(events: readonly RevenueEvent[], nowSecs: number, days: number): Omit<StakerRevenue, "scanned" | "truncated"> {
  const todayStart = Math.floor(nowSecs / DAY_SECS) * DAY_SECS;
  const from = todayStart - (days - 1) * DAY_SECS;
  const byDay = new Map<string, StakerDay>();
  for (let t = from; t <= todayStart; t += DAY_SECS) {
    const day = dayOf(t);
    byDay.set(day, { day, baseFee: 0n, overage: 0n, debt: 0n, total: 0n });
  }
  const totals = { baseFee: 0n, overage: 0n, debt: 0n, total: 0n, treasury: 0n };
  for (const e of events) {
    const row = byDay.get(dayOf(e.blockTime));
    if (!row) continue;
    if (e.source === RevenueSource.Overage) row.overage += e.stakerAmount;
    else if (e.source === RevenueSource.Debt) row.debt += e.stakerAmount;
    else row.baseFee += e.stakerAmount; // base fee and prorated upgrade
    row.total += e.stakerAmount;
    totals.treasury += e.treasuryAmount;
  }
  const list = [...byDay.values()];
  for (const d of list) {
    totals.baseFee += d.baseFee;
    totals.overage += d.overage;
    totals.debt += d.debt;
    totals.total += d.total;
  }
  return { days: list, totals };
}

const cache = new Map<string, RevenueEvent[]>();

function remember(signature: string, events: RevenueEvent[]): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(signature, events);
}

/** The staker pool's revenue over the last `days` days, from chain. */
export async function loadStakerRevenue(days: number, nowSecs = Math.floor(Date.now() / 1000)): Promise<StakerRevenue> {
  const config = await requireConfig();
  const rpc = connection();
  const programId = serverEnv().programId;
  const since = (Math.floor(nowSecs / DAY_SECS) - (days - 1)) * DAY_SECS;

  const signatures: { signature: string; blockTime: number }[] = [];
  let before: string | undefined;
  let truncated = false;
  for (;;) {
    const page = await fromChain(() => rpc.getSignaturesForAddress(config.stakerPool, { limit: SIGNATURE_PAGE, before }, "confirmed"));
    let reachedStart = page.length < SIGNATURE_PAGE;
    for (const s of page) {
      if (s.blockTime != null && s.blockTime < since) {
        reachedStart = true;
        break;
      }
      if (s.err === null) signatures.push({ signature: s.signature, blockTime: s.blockTime ?? nowSecs });
    }
    if (reachedStart) break;
    if (signatures.length >= MAX_SCANNED) {
      truncated = true;
      break;
    }
    before = page[page.length - 1].signature;
  }

  const missing = signatures.filter((s) => !cache.has(s.signature)).map((s) => s.signature);
  for (let i = 0; i < missing.length; i += 100) {
    const chunk = missing.slice(i, i + 100);
    const txs = await fromChain(() => rpc.getTransactions(chunk, { commitment: "confirmed", maxSupportedTransactionVersion: 0 }));
    txs.forEach((tx, index) => {
      if (!tx) return; // not visible yet: read again next time
      const events = parseEvents(tx.meta?.logMessages ?? [], programId)
        .filter((e): e is { name: "RevenueDistributed"; data: RevenueDistributed } => e.name === "RevenueDistributed")
        .map((e) => ({ blockTime: tx.blockTime ?? nowSecs, source: e.data.source, treasuryAmount: e.data.treasuryAmount, stakerAmount: e.data.stakerAmount }));
      remember(chunk[index], events);
    });
  }
  const events = signatures.flatMap((s) => cache.get(s.signature) ?? []);
  return { ...aggregateRevenue(events, nowSecs, days), scanned: signatures.length, truncated };
}
