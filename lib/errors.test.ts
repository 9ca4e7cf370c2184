import assert from "node:assert/strict";
import { ConvexError } from "convex/values";
import { AppError, errorBody, ErrorStatus, isUnreachable, toAppError } from "./errors";

describe("typed errors", function () {
  it("maps each code to its HTTP status in one table", function () {
    assert.equal(ErrorStatus.unauthorized, 401);
    assert.equal(ErrorStatus.payment_required, 402);
    assert.equal(ErrorStatus.forbidden, 403);
    assert.equal(ErrorStatus.invalid_argument, 422);
    assert.equal(ErrorStatus.rate_limited, 429);
    assert.equal(new AppError("conflict").status, 409);
    assert.deepEqual(errorBody(new AppError("expired", "Gone.", "x")), { error: { code: "expired", message: "Gone.", detail: "x" } });
  });

  it("turns ledger refusals into AppErrors with the ledger's code, keeping its words except for access refusals", function () {
    const forbidden = toAppError(new ConvexError({ code: "forbidden", message: "the member role may not viewUsage" }));
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.message, "Your role in this team does not allow this.");
    const bad = toAppError(new ConvexError({ code: "invalid_argument", message: "malformed invitation token" }));
    assert.equal(bad.status, 422);
    assert.equal(bad.message, "Malformed invitation token.");
    assert.equal(toAppError(new ConvexError({ code: "overflow", message: "too big" })).status, 422);
    const secret = toAppError(new ConvexError({ code: "unauthorized", message: "bad secret" }));
    assert.equal(secret.status, 500);
    assert.equal(secret.detail, "ledger_unauthorized");
  });

  it("words the program's errors and the token program's insufficient funds", function () {
    const notReady = toAppError({ logs: ["Program log: AnchorError occurred. Error Code: WithdrawalNotReady. Error Number: 6010. Error Message: x."] });
    assert.equal(notReady.code, "conflict");
    assert.equal(notReady.message, "The withdrawal notice period has not ended yet.");
    const funds = toAppError({
      message: "Simulation failed",
      logs: ["Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA failed: custom program error: 0x1"],
    });
    assert.equal(funds.status, 402);
    assert.equal(funds.detail, "TokenInsufficientFunds");
    assert.equal(toAppError(new Error("Attempt to debit an account but found no record of a prior credit.")).detail, "InsufficientFundsForFee");
    assert.equal(toAppError(new Error("Blockhash not found")).code, "expired");
  });

  it("names the unreachable service and hides unexpected errors behind a 500", function () {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    assert.equal(isUnreachable(refused), true);
    assert.equal(toAppError(refused, "ledger").code, "ledger_unavailable");
    assert.equal(toAppError(refused, "chain").code, "chain_unavailable");
    assert.equal(toAppError(refused).status, 503);
    const unknown = toAppError(new Error("kaboom"));
    assert.equal(unknown.status, 500);
    assert.equal(unknown.message.includes("kaboom"), false);
    assert.equal(toAppError(new Error('Validator error: Expected ID for table "teams"')).status, 422);
  });
});
