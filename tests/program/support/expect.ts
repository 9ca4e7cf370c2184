// Exact failure assertions. A failed transaction must have failed with exactly the expected code: the
// SVM's raw `Custom(n)` (not just a log line), anchor's decoding of it (AnchorError / ProgramError /
// the SDK's `programErrorOf`), and — for the program's own and Anchor's framework codes — the
// `AnchorError occurred. Error Code: <Name>. Error Number: <n>.` line naming the same error.
import assert from "node:assert/strict";
import { AnchorError, LangErrorCode } from "@coral-xyz/anchor";
import { ERROR_CODES, programErrorOf, type ProgramErrorName } from "../../../sdk/src";
import type { LiteSvmProvider } from "../../support";

export type FrameworkErrorName = keyof typeof LangErrorCode;

/** SPL Token's own errors (spl_token::error::TokenError), which surface unchanged through a CPI. */
export const TokenError = { InsufficientFunds: 1, OwnerMismatch: 4 } as const;
export type TokenErrorName = keyof typeof TokenError;

/** What a failure is expected to be: a program error, an Anchor framework error, or a token-program error. */
export type Expected = ProgramErrorName | FrameworkErrorName | { token: TokenErrorName } | { system: number };

function isProgramName(name: string): name is ProgramErrorName {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, name);
}

function isFrameworkName(name: string): name is FrameworkErrorName {
  return Object.prototype.hasOwnProperty.call(LangErrorCode, name);
}

/** The numeric code and, for anchor-logged errors, the name the program must log. */
export function expectedCode(expected: Expected): { code: number; loggedName: string | null; label: string } {
  if (typeof expected === "string") {
    if (isProgramName(expected)) return { code: ERROR_CODES[expected], loggedName: expected, label: expected };
    if (isFrameworkName(expected)) return { code: LangErrorCode[expected], loggedName: expected, label: expected };
    throw new Error(`unknown error name ${String(expected)}`);
  }
  if ("token" in expected) return { code: TokenError[expected.token], loggedName: null, label: `token program ${expected.token}` };
  return { code: expected.system, loggedName: null, label: `system program error ${expected.system}` };
}

/**
 * Awaits `action`, which must fail with `expected`; `provider` is the provider that sent the transaction
 * (its `lastTransaction` holds the SVM's verdict). Returns the thrown error.
 */
export async function expectError(action: Promise<unknown>, expected: Expected, provider: LiteSvmProvider): Promise<unknown> {
  const { code, loggedName, label } = expectedCode(expected);
  let succeeded = false;
  let error: unknown;
  try {
    await action;
    succeeded = true;
  } catch (e) {
    error = e;
  }
  assert.ok(!succeeded, `expected ${label} (${code}) but the transaction succeeded`);
  const last = provider.lastTransaction;
  assert.ok(last, `expected ${label}: no transaction was sent (${String(error)})`);
  assert.equal(last.customErrorCode, code, `expected ${label} (Custom(${code})), the SVM reported: ${last.error}\n${last.logs.join("\n")}`);
  assert.equal(programErrorOf(error)?.code, code, `the client did not decode ${label} from: ${String(error)}`);
  if (loggedName !== null) {
    const line = `Error Code: ${loggedName}. Error Number: ${code}.`;
    assert.ok(last.logs.some((l) => l.includes(line)), `the program did not log "${line}":\n${last.logs.join("\n")}`);
    if (error instanceof AnchorError) {
      assert.equal(error.error.errorCode.number, code);
      assert.equal(error.error.errorCode.code, loggedName);
    }
  }
  return error;
}
