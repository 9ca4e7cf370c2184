import assert from "node:assert/strict";
import { csvField, csvHeader, csvRow, historyCsvStream, type HistoryRow } from "./history-csv";

const deposit: HistoryRow = { kind: "funds.deposited", signature: "sig1", slot: 7, blockTime: 1_795_000_000, amount: 1_234_500_000n, balanceAfter: 1_234_500_000n };

async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("billing history CSV", function () {
  it("writes exact amounts in USDC and base units, without thousands separators", function () {
    assert.equal(csvRow(deposit), "2026-11-18T11:06:40.000Z,funds.deposited,1234.500000,1234500000,1234.500000,,,,sig1,7\r\n");
    const usage: HistoryRow = { kind: "usage.deducted", signature: "s", slot: 9, blockTime: null, amount: 0n, batchSeq: 3n, requestCount: 12n, usageRoot: "ab".repeat(32) };
    assert.equal(csvRow(usage), `,usage.deducted,0.000000,0,,3,12,${"ab".repeat(32)},s,9\r\n`);
  });

  it("quotes fields with separators and neutralises spreadsheet formulas", function () {
    assert.equal(csvField('a,"b"'), '"a,""b"""');
    assert.equal(csvField("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    assert.equal(csvField("plain"), "plain");
  });

  it("streams the header and then every page until the ledger says it is done", async function () {
    const cursors: Array<string | null> = [];
    const text = await read(
      historyCsvStream(async (cursor) => {
        cursors.push(cursor);
        return cursor === null ? { rows: [deposit], cursor: "c1", done: false } : { rows: [deposit], cursor: "c2", done: true };
      }),
    );
    assert.deepEqual(cursors, [null, "c1"]);
    const lines = text.split("\r\n").filter(Boolean);
    assert.equal(`${lines[0]}\r\n`, csvHeader());
    assert.equal(lines.length, 3);
  });

  it("ends with only the header when there is no history", async function () {
    assert.equal(await read(historyCsvStream(async () => ({ rows: [], cursor: "", done: true }))), csvHeader());
  });
});
