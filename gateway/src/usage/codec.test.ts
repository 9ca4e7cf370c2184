import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import {
  crcMatches,
  decodeLegacyLine,
  decodeLine,
  decodeTrailer,
  encodeLine,
  encodeUsageEntry,
  entryOf,
  frameGroup,
  usageLine,
  type UsageLine,
} from "./codec";
import type { UsageEntry } from "./sink";

const entry = (patch: Partial<UsageEntry> = {}): UsageEntry => ({
  requestId: "6f1c2e0a-4b7d-4c1e-9a51-0d3b2f8e7c11",
  teamId: "k57abc",
  team: "TeamPda1111111111111111111111111111111111111",
  userId: "alice",
  endpoint: "/api/v1/verify",
  units: 3n,
  cost: 18_446_744_073_709_551_615n,
  timestampMs: 1_763_000_000_123,
  ...patch,
});

const roundTrip = (e: UsageEntry): UsageEntry => {
  const text = encodeUsageEntry(e);
  assert.ok(text.endsWith("\n") && text.indexOf("\n") === text.length - 1, "one line");
  const back = decodeLine(text.slice(0, -1));
  assert.notEqual(back, null);
  return entryOf(back as UsageLine);
};

describe("usage log line codec", () => {
  it("writes a served request with plain strings as one compact line, and reads it back", () => {
    const text = encodeUsageEntry(entry());
    assert.equal(text, "u 6f1c2e0a-4b7d-4c1e-9a51-0d3b2f8e7c11 k57abc TeamPda1111111111111111111111111111111111111 alice /api/v1/verify 3 18446744073709551615 1763000000123\n");
    assert.deepEqual(roundTrip(entry()), entry());
    assert.deepEqual(roundTrip(entry({ userId: null, units: 1n, cost: 0n })), entry({ userId: null, units: 1n, cost: 0n }));
  });

  it("falls back to JSON for strings the compact line cannot carry", () => {
    for (const e of [entry({ userId: "with space" }), entry({ endpoint: "/a b?c=\u00e9\u2028" }), entry({ requestId: "id\nwith newline" })]) {
      const text = encodeUsageEntry(e);
      assert.ok(text.startsWith("j "), text);
      assert.equal(text, encodeLine(usageLine(e)));
      assert.deepEqual(roundTrip(e), e);
    }
  });

  it("keeps quotes and backslashes in the compact line (printable, no spaces)", () => {
    const e = entry({ userId: 'quo"te\\back' });
    assert.ok(encodeUsageEntry(e).startsWith("u "));
    assert.deepEqual(roundTrip(e), e);
  });

  it("refuses malformed lines instead of guessing", () => {
    const line = encodeUsageEntry(entry()).slice(0, -1);
    assert.equal(decodeLine(line.slice(0, -5) + " x"), null, "a non-decimal timestamp");
    assert.equal(decodeLine(line.replace(" 3 ", " 03 ")), null, "a non-canonical decimal");
    assert.equal(decodeLine(line + " extra"), null, "a field too many");
    assert.equal(decodeLine(line.split(" ").slice(0, 8).join(" ")), null, "a field too few");
    assert.equal(decodeLine('j {"t":"z"}'), null, "an unknown line type");
    assert.equal(decodeLine('j {"t":"x"}'), null, "a line without the fields of its type");
    assert.equal(decodeLine('j {"t":"s","team":"T","seq":"1"}'), null, "settled without its signature (null or a string)");
    assert.equal(decodeLine('j {"t":"b","team":"T","seq":"-1","n":1,"first":"a","last":"a"}'), null, "a seq that is not a decimal");
    assert.deepEqual(decodeLine('j {"t":"x","team":"T","seq":"7"}'), { t: "x", team: "T", seq: "7" }, "a batch given back");
    const sealed = '{"t":"b","team":"T","seq":"2","n":3,"first":"a","last":"c","price":{"inc":"10000","per":"10000","pr":"9999","ps":"0","cap":"0"}}';
    assert.deepEqual(decodeLine(`j ${sealed}`), JSON.parse(sealed), "a batch with its pricing basis");
    assert.equal(decodeLine(`j ${sealed.replace('"pr":"9999"', '"pr":9999')}`), null, "a basis amount that is not a decimal string");
    assert.equal(decodeLine(`j ${sealed.replace(',"cap":"0"', "")}`), null, "a basis without its spend cap");
    assert.equal(decodeLine("j {not json"), null);
    assert.equal(decodeLine("x something"), null);
  });

  it("frames a group with a trailer carrying the crc32 of its bytes and its line count", () => {
    const lines = [encodeUsageEntry(entry()), encodeUsageEntry(entry({ endpoint: "/é" })), encodeLine({ t: "s", team: "T", seq: "1", sig: null })];
    const body = lines.join("");
    const framed = frameGroup(body, lines.length).toString("utf8");
    assert.ok(framed.startsWith(body));
    const trailer = decodeTrailer(framed.slice(body.length, -1));
    assert.deepEqual(trailer, { crc: crc32(Buffer.from(body)).toString(16).padStart(8, "0"), lines: 3 });
    assert.ok(crcMatches(body, trailer!.crc));
    assert.equal(crcMatches(body.replace("alice", "alicf"), trailer!.crc), false);
    assert.equal(decodeTrailer("#0000000g 1"), null);
    assert.equal(decodeTrailer("#00000000 0"), null, "a group has at least one line");
  });

  it("still reads the self-checked lines of the format before groups", () => {
    const json = JSON.stringify(usageLine(entry()));
    const legacy = `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
    assert.deepEqual(entryOf(decodeLegacyLine(legacy) as UsageLine), entry());
    assert.equal(decodeLegacyLine(legacy.replace('"n":"3"', '"n":"4"')), null, "checksum mismatch");
    assert.equal(decodeLegacyLine(legacy.slice(0, -5)), null, "a torn line");
  });
});
