import assert from "node:assert/strict";
import { formatUsdc, parseUsdc } from "../src";

describe("USDC display", () => {
  it("shows base units as USDC with two decimals by default", () => {
    assert.equal(formatUsdc(12_500_000n), "12.50 USDC");
    assert.equal(formatUsdc(0n), "0.00 USDC");
    assert.equal(formatUsdc(1_234_567_890_000n), "1,234,567.89 USDC");
    assert.equal(formatUsdc(-5_000_000n), "-5.00 USDC");
  });

  it("truncates digits it does not show and can show all six", () => {
    assert.equal(formatUsdc(9_999_999n), "9.99 USDC");
    assert.equal(formatUsdc(9_999_999n, { decimals: 6, unit: false }), "9.999999");
    assert.equal(formatUsdc(1n, { decimals: 0 }), "0 USDC");
    assert.throws(() => formatUsdc(1n, { decimals: 7 }), RangeError);
  });

  it("parses decimal USDC into base units and refuses sub-unit precision", () => {
    assert.equal(parseUsdc("12.5"), 12_500_000n);
    assert.equal(parseUsdc("1,000"), 1_000_000_000n);
    assert.equal(parseUsdc("0.000001"), 1n);
    assert.equal(parseUsdc("-3"), -3_000_000n);
    assert.throws(() => parseUsdc("0.0000001"), RangeError);
    assert.throws(() => parseUsdc("ten"), RangeError);
  });
});
