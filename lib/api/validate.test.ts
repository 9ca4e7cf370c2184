import assert from "node:assert/strict";
import { AppError } from "../errors";
import { requireInteger, requireOneOf, requireString, requireUsdcAmount } from "./validate";

const refused = (fn: () => unknown, message?: RegExp) =>
  assert.throws(fn, (e: AppError) => e instanceof AppError && e.status === 422 && (!message || message.test(e.message)));

describe("input validation", function () {
  it("reads USDC amounts typed by people as exact base units", function () {
    assert.equal(requireUsdcAmount("25"), 25_000_000n);
    assert.equal(requireUsdcAmount("12.5"), 12_500_000n);
    assert.equal(requireUsdcAmount("0.000001"), 1n);
    assert.equal(requireUsdcAmount("1,000"), 1_000_000_000n);
    assert.equal(requireUsdcAmount("0", "x", { allowZero: true }), 0n);
    refused(() => requireUsdcAmount("0"), /more than zero/);
    refused(() => requireUsdcAmount("-3"), /more than zero/);
    refused(() => requireUsdcAmount("1.0000001"), /at most 6 decimals/);
    refused(() => requireUsdcAmount("abc"));
    refused(() => requireUsdcAmount(undefined));
    refused(() => requireUsdcAmount("18446744073709.551616"), /too large/);
  });

  it("checks strings, choices and whole numbers", function () {
    assert.equal(requireString("  Acme ", "a name"), "Acme");
    refused(() => requireString("", "a name"), /^Enter a name\.$/);
    refused(() => requireString("x".repeat(81), "a team name", 80), /at most 80/);
    assert.equal(requireOneOf("admin", ["admin", "member"] as const, "a role"), "admin");
    refused(() => requireOneOf("owner", ["admin", "member"] as const, "a role"));
    assert.equal(requireInteger("2", "the tier", 0, 2), 2);
    refused(() => requireInteger(3, "the tier", 0, 2));
    refused(() => requireInteger(1.5, "the tier", 0, 2));
  });
});
