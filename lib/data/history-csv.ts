// The billing history as CSV, one row per chain event, streamed page by page from the ledger so a long
// history is never held in memory. Amounts are given exactly, in USDC (6 decimals) and in base units.
import { formatUsdc } from "../format/usdc";

export const CSV_COLUMNS = [
  "time_utc",
  "kind",
  "amount_usdc",
  "amount_base_units",
  "balance_after_usdc",
  "batch_seq",
  "request_count",
  "usage_root",
  "signature",
  "slot",
] as const;

export interface HistoryRow {
  kind: string;
  signature: string;
  slot: number;
  /** Unix seconds (chain time); null when the node did not report one. */
  blockTime: number | null;
  amount: bigint;
  balanceAfter?: bigint;
  batchSeq?: bigint;
  requestCount?: bigint;
  usageRoot?: string;
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading =+-@ is neutralised so spreadsheets do not run it. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A plain decimal USDC amount: the display module's text without thousands separators or unit. */
function plainUsdc(amount: bigint): string {
  return formatUsdc(amount, { decimals: 6, unit: false }).replace(/,/g, "");
}

export function csvRow(row: HistoryRow): string {
  const fields = [
    row.blockTime === null ? "" : new Date(row.blockTime * 1000).toISOString(),
    row.kind,
    plainUsdc(row.amount),
    row.amount.toString(),
    row.balanceAfter === undefined ? "" : plainUsdc(row.balanceAfter),
    row.batchSeq === undefined ? "" : row.batchSeq.toString(),
    row.requestCount === undefined ? "" : row.requestCount.toString(),
    row.usageRoot ?? "",
    row.signature,
    String(row.slot),
  ];
  return `${fields.map(csvField).join(",")}\r\n`;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(",")}\r\n`;
}

/**
 * A stream of the CSV: the header, then each page `nextPage(cursor)` yields until it says it is done.
 * Pages are fetched as the reader pulls, so a slow client slows the ledger reads, not memory.
 */
export function historyCsvStream(nextPage: (cursor: string | null) => Promise<{ rows: HistoryRow[]; cursor: string; done: boolean }>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | null = null;
  let finished = false;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvHeader()));
        return;
      }
      if (finished) {
        controller.close();
        return;
      }
      const page = await nextPage(cursor);
      cursor = page.cursor;
      finished = page.done;
      if (page.rows.length > 0) controller.enqueue(encoder.encode(page.rows.map(csvRow).join("")));
      if (finished) controller.close();
    },
  });
}
