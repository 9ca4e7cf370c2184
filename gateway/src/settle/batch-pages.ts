// A settled batch's records as the ledger's page texts (convex/model/usagePage.ts), written by whoever
// sends them to the ledger from what the settler hands over: the batch's receipt fields (typed arrays,
// usage/entry-columns.ts) and each record's charge. In a runtime with an I/O thread that is the I/O thread,
// so the ~2 MB of text per 20,000-record batch (~0.6 µs of writing per record) never lands in the request
// thread's heap, where each batch's strings went straight to the old generation and brought its
// mark-compacts (pauses of 4–8 ms) sooner.
import { RECORDS_PER_PAGE } from "../../../convex/model/usage";
import { isUsagePageKey } from "../../../convex/model/usagePage";
import { writeCompactIdText, type ReceiptFields } from "../usage/entry-columns";
import { PageTextWriter, type PageSource } from "./page-text";

/** A batch's records as columns: the receipt fields and, in the same order, each record's charge (base units). */
export interface RecordColumns {
  fields: ReceiptFields;
  costs: BigUint64Array;
}

/** Either the page texts themselves (written elsewhere), or the columns to write them from. */
export type BatchRecords = { pages: string[] } | { columns: RecordColumns };

/** Records written per turn of the event loop (a few hundred µs), so a thread that also serves others is never held long. */
const WRITE_SLICE = 500;

/** Receipt fields read as a page writer's source; members are already named (unattributed included). */
class FieldsSource implements PageSource {
  private readonly otherIds: Map<number, string>;
  constructor(private readonly f: ReceiptFields) {
    this.otherIds = new Map(f.otherIds);
  }
  timestampMs(i: number): number {
    return this.f.timestampMs[i]!;
  }
  units(i: number): bigint {
    return this.f.units[i]!;
  }
  endpoint(i: number): string {
    return this.f.strings[this.f.endpoint[i]!]!;
  }
  userId(i: number): string {
    return this.f.strings[this.f.userId[i]!]!;
  }
  writeRequestId(i: number, out: Buffer, at: number): number {
    const other = this.otherIds.get(i);
    if (other === undefined) return writeCompactIdText(this.f.ids, i, out, at);
    return isUsagePageKey(other) ? at + out.write(other, at, "latin1") : -1;
  }
}

/**
 * The page texts of a batch, RECORDS_PER_PAGE records each, with encodeUsagePage's refusals (a ledger
 * `invalid_argument` naming the line). Yields to the event loop every WRITE_SLICE records.
 */
export async function pagesOf(records: BatchRecords): Promise<string[]> {
  if ("pages" in records) return records.pages;
  const { fields, costs } = records.columns;
  if (costs.length !== fields.count) throw new RangeError(`batch of ${fields.count} records has ${costs.length} charges`);
  const source = new FieldsSource(fields);
  const pages: string[] = [];
  let written = 0;
  for (let pageAt = 0; pageAt < fields.count; pageAt += RECORDS_PER_PAGE) {
    const writer = new PageTextWriter();
    for (let i = pageAt; i < Math.min(pageAt + RECORDS_PER_PAGE, fields.count); i++) {
      if (written > 0 && written % WRITE_SLICE === 0) await new Promise((r) => setImmediate(r));
      writer.add(source, i, source.userId(i), costs[i]!);
      written += 1;
    }
    pages.push(writer.text());
  }
  return pages;
}
