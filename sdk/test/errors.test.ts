import assert from "node:assert/strict";
import { AnchorError, ProgramError } from "@coral-xyz/anchor";
import { SendTransactionError } from "@solana/web3.js";
import { ERROR_CODES, ERROR_NAMES, MathOverflowError, PROGRAM_ID, isProgramError, programErrorOf } from "../src";

describe("program errors", () => {
  it("numbers the contract's errors from 6000 as the IDL does", () => {
    assert.equal(ERROR_CODES.Unauthorized, 6000);
    assert.equal(ERROR_CODES.MathOverflow, 6006);
    assert.equal(ERROR_CODES.BatchAlreadySettled, 6007);
    assert.equal(ERROR_NAMES.get(6016), "InvalidTreasury");
  });

  const logs = [
    `Program ${PROGRAM_ID.toBase58()} invoke [1]`,
    "Program log: AnchorError occurred. Error Code: BatchAlreadySettled. Error Number: 6007. Error Message: This usage batch was already settled.",
    `Program ${PROGRAM_ID.toBase58()} consumed 1200 of 200000 compute units`,
    `Program ${PROGRAM_ID.toBase58()} failed: custom program error: 0x1777`,
  ];

  it("recognises an AnchorError parsed from the program's logs", () => {
    const err = AnchorError.parse(logs);
    assert.ok(err);
    assert.deepEqual(programErrorOf(err), { code: 6007, name: "BatchAlreadySettled" });
    assert.ok(isProgramError(err, "BatchAlreadySettled"));
    assert.ok(!isProgramError(err, "BatchSequenceGap"));
  });

  it("recognises a SendTransactionError by its logs, and a bare custom error by its message", () => {
    const sendError = new SendTransactionError({ action: "send", signature: "", transactionMessage: "failed", logs });
    assert.deepEqual(programErrorOf(sendError), { code: 6007, name: "BatchAlreadySettled" });
    assert.deepEqual(programErrorOf(new Error("Transaction failed: custom program error: 0x1778")), { code: 6008, name: "BatchSequenceGap" });
    assert.deepEqual(programErrorOf(new ProgramError(6009, "The vault does not hold enough funds")), { code: 6009, name: "InsufficientFunds" });
  });

  it("reports anchor framework codes without a contract name, and nothing for other failures", () => {
    assert.deepEqual(programErrorOf(new Error("custom program error: 0xbc2")), { code: 3010, name: undefined });
    assert.equal(programErrorOf(new Error("Blockhash not found")), null);
    assert.equal(programErrorOf("boom"), null);
    assert.equal(programErrorOf(null), null);
  });

  it("gives the pricing mirror's errors the program's code and number", () => {
    const err = new MathOverflowError("x");
    assert.equal(err.code, "MathOverflow");
    assert.equal(err.errorNumber, 6006);
    assert.equal(err.name, "MathOverflowError");
  });
});
