import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { countOf, formatCount, formatDateTime, formatDuration, shortAddress } from "./text";
import { formatUsdcExact } from "./usdc";
import { safeReturnPath } from "../navigation";

describe("display helpers", function () {
  it("formats durations, counts, dates and addresses", function () {
    assert.equal(formatDuration(0), "now");
    assert.equal(formatDuration(45), "45 s");
    assert.equal(formatDuration(785), "13 min 5 s");
    assert.equal(formatDuration(900), "15 min");
    assert.equal(formatDuration(7260), "2 h 1 min");
    assert.equal(formatDuration(2 * 86_400 + 4 * 3600), "2 d 4 h");
    assert.equal(formatCount(1234567), "1,234,567");
    assert.equal(formatCount(12n), "12");
    assert.equal(formatDateTime(Date.UTC(2026, 10, 21, 14, 5)), "2026-11-21 14:05 UTC");
    assert.equal(shortAddress("7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"), "7xKX…gAsU");
    assert.equal(countOf(1, "request"), "1 request");
    assert.equal(countOf(12_000n, "request"), "12,000 requests");
  });

  it("shows prices with the fewest decimals that are exact", function () {
    assert.equal(formatUsdcExact(10_000n), "0.01 USDC");
    assert.equal(formatUsdcExact(1_500n), "0.0015 USDC");
    assert.equal(formatUsdcExact(1n), "0.000001 USDC");
    assert.equal(formatUsdcExact(50_000_000n), "50.00 USDC");
  });

  it("only returns to paths on this site after signing in", function () {
    assert.equal(safeReturnPath("/teams/abc"), "/teams/abc");
    for (const bad of ["//evil.example", "https://evil.example", "/\\evil", undefined, 3]) assert.equal(safeReturnPath(bad), "/");
  });

  it("vendors the wallet adapter's CSS without any request to another host", function () {
    const css = fs.readFileSync(path.join(__dirname, "..", "..", "components", "wallet", "wallet-adapter.css"), "utf8");
    assert.equal(/@import\s+(url|["'])|url\(\s*["']?https?:/i.test(css), false);
    const globals = fs.readFileSync(path.join(__dirname, "..", "..", "components", "theme", "globals.css"), "utf8");
    assert.equal(/@import\s+(url|["'])|url\(\s*["']?https?:/i.test(globals), false);
  });
});
