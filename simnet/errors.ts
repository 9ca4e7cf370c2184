// Errors in solana-validator's words. Two kinds live here:
// - RpcError: a JSON-RPC error object ({ code, message, data? }) with the codes solana-validator uses, so
//   clients that branch on codes (web3.js, kit, anchor) see what they see on a cluster;
// - transaction errors: litesvm's TransactionError objects turned into the RPC's JSON form
//   ({"InstructionError":[0,{"Custom":6000}]}, "BlockhashNotFound", …) and its display text
//   ("Error processing Instruction 0: custom program error: 0x1770"), which anchor and the SDK parse.
import type { FailedTransactionMetadata } from "litesvm";

/** JSON-RPC 2.0 and solana-validator error codes. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Preflight simulation of sendTransaction failed; `data` is the simulation result. */
  SendTransactionPreflightFailure: -32002,
  TransactionSignatureVerificationFailure: -32003,
  TransactionVersionNotSupported: -32015,
  MinContextSlotNotReached: -32016,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }

  toJson(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

export function invalidParams(message: string): RpcError {
  return new RpcError(RpcErrorCode.InvalidParams, message);
}

/** A transaction error in the RPC's JSON form: a variant name, or `{ Variant: fields }`. */
export type TxErrorJson = string | { [variant: string]: unknown };

// Variant names by the numeric value of litesvm's const enums (internal.d.ts); the enums exist only as
// types, so the values are mapped here, paired with solana-validator's display text.
const INSTRUCTION_ERRORS: readonly (readonly [string, string])[] = [
  ["GenericError", "generic instruction error"],
  ["InvalidArgument", "invalid program argument"],
  ["InvalidInstructionData", "invalid instruction data"],
  ["InvalidAccountData", "invalid account data for instruction"],
  ["AccountDataTooSmall", "account data too small for instruction"],
  ["InsufficientFunds", "insufficient funds for instruction"],
  ["IncorrectProgramId", "incorrect program id for instruction"],
  ["MissingRequiredSignature", "missing required signature for instruction"],
  ["AccountAlreadyInitialized", "instruction requires an uninitialized account"],
  ["UninitializedAccount", "instruction requires an initialized account"],
  ["UnbalancedInstruction", "sum of account balances before and after instruction do not match"],
  ["ModifiedProgramId", "instruction illegally modified the program id of an account"],
  ["ExternalAccountLamportSpend", "instruction spent from the balance of an account it does not own"],
  ["ExternalAccountDataModified", "instruction modified data of an account it does not own"],
  ["ReadonlyLamportChange", "instruction changed the balance of a read-only account"],
  ["ReadonlyDataModified", "instruction modified data of a read-only account"],
  ["DuplicateAccountIndex", "instruction contains duplicate accounts"],
  ["ExecutableModified", "instruction changed executable bit of an account"],
  ["RentEpochModified", "instruction modified rent epoch of an account"],
  ["NotEnoughAccountKeys", "insufficient account keys for instruction"],
  ["AccountDataSizeChanged", "program other than the account's owner changed the size of the account data"],
  ["AccountNotExecutable", "instruction expected an executable account"],
  ["AccountBorrowFailed", "instruction tries to borrow reference for an account which is already borrowed"],
  ["AccountBorrowOutstanding", "instruction left account with an outstanding borrowed reference"],
  ["DuplicateAccountOutOfSync", "instruction modifications of multiply-passed account differ"],
  ["InvalidError", "program returned invalid error code"],
  ["ExecutableDataModified", "instruction changed executable accounts data"],
  ["ExecutableLamportChange", "instruction changed the balance of an executable account"],
  ["ExecutableAccountNotRentExempt", "executable accounts must be rent exempt"],
  ["UnsupportedProgramId", "Unsupported program id"],
  ["CallDepth", "Cross-program invocation call depth too deep"],
  ["MissingAccount", "An account required by the instruction is missing"],
  ["ReentrancyNotAllowed", "Cross-program invocation reentrancy not allowed for this instruction"],
  ["MaxSeedLengthExceeded", "Length of the seed is too long for address generation"],
  ["InvalidSeeds", "Provided seeds do not result in a valid address"],
  ["InvalidRealloc", "Failed to reallocate account data"],
  ["ComputationalBudgetExceeded", "Computational budget exceeded"],
  ["PrivilegeEscalation", "Cross-program invocation with unauthorized signer or writable account"],
  ["ProgramEnvironmentSetupFailure", "Failed to create program execution environment"],
  ["ProgramFailedToComplete", "Program failed to complete"],
  ["ProgramFailedToCompile", "Program failed to compile"],
  ["Immutable", "Account is immutable"],
  ["IncorrectAuthority", "Incorrect authority provided"],
  ["AccountNotRentExempt", "An account does not have enough lamports to be rent-exempt"],
  ["InvalidAccountOwner", "Invalid account owner"],
  ["ArithmeticOverflow", "Program arithmetic overflowed"],
  ["UnsupportedSysvar", "Unsupported sysvar"],
  ["IllegalOwner", "Provided owner is not allowed"],
  ["MaxAccountsDataAllocationsExceeded", "Accounts data allocations exceeded the maximum allowed per transaction"],
  ["MaxAccountsExceeded", "Max accounts exceeded"],
  ["MaxInstructionTraceLengthExceeded", "Max instruction trace length exceeded"],
  ["BuiltinProgramsMustConsumeComputeUnits", "Builtin programs must consume compute units"],
  ["BorshIoError", "Failed to serialize or deserialize account data"],
];

const TRANSACTION_ERRORS: readonly (readonly [string, string])[] = [
  ["AccountInUse", "Account in use"],
  ["AccountLoadedTwice", "Account loaded twice"],
  ["AccountNotFound", "Attempt to debit an account but found no record of a prior credit."],
  ["ProgramAccountNotFound", "Attempt to load a program that does not exist"],
  ["InsufficientFundsForFee", "Insufficient funds for fee"],
  ["InvalidAccountForFee", "This account may not be used to pay transaction fees"],
  ["AlreadyProcessed", "This transaction has already been processed"],
  ["BlockhashNotFound", "Blockhash not found"],
  ["CallChainTooDeep", "Loader call chain is too deep"],
  ["MissingSignatureForFee", "Transaction requires a fee but has no signature present"],
  ["InvalidAccountIndex", "Transaction contains an invalid account reference"],
  ["SignatureFailure", "Transaction did not pass signature verification"],
  ["InvalidProgramForExecution", "This program may not be used for executing instructions"],
  ["SanitizeFailure", "Transaction failed to sanitize accounts offsets correctly"],
  ["ClusterMaintenance", "Transactions are currently disabled due to cluster maintenance"],
  ["AccountBorrowOutstanding", "Transaction processing left an account with an outstanding borrowed reference"],
  ["WouldExceedMaxBlockCostLimit", "Transaction would exceed max Block Cost Limit"],
  ["UnsupportedVersion", "Transaction version is unsupported"],
  ["InvalidWritableAccount", "Transaction loads a writable account that cannot be written"],
  ["WouldExceedMaxAccountCostLimit", "Transaction would exceed max account limit within the block"],
  ["WouldExceedAccountDataBlockLimit", "Transaction would exceed account data limit within the block"],
  ["TooManyAccountLocks", "Transaction locked too many accounts"],
  ["AddressLookupTableNotFound", "Transaction loads an address table account that doesn't exist"],
  ["InvalidAddressLookupTableOwner", "Transaction loads an address table account with an invalid owner"],
  ["InvalidAddressLookupTableData", "Transaction loads an address table account with invalid data"],
  ["InvalidAddressLookupTableIndex", "Transaction address table lookup uses an invalid index"],
  ["InvalidRentPayingAccount", "Transaction leaves an account with a lower balance than rent-exempt minimum"],
  ["WouldExceedMaxVoteCostLimit", "Transaction would exceed max Vote Cost Limit"],
  ["WouldExceedAccountDataTotalLimit", "Transaction would exceed total account data limit"],
  ["MaxLoadedAccountsDataSizeExceeded", "Transaction exceeded max loaded accounts data size cap"],
  ["ResanitizationNeeded", "ResanitizationNeeded"],
  ["InvalidLoadedAccountsDataSizeLimit", "LoadedAccountsDataSizeLimit set for transaction must be greater than 0."],
  ["UnbalancedTransaction", "Sum of account balances before and after transaction do not match"],
  ["ProgramCacheHitMaxLimit", "Program cache hit max limit"],
  ["CommitCancelled", "CommitCancelled"],
];

type LiteSvmTxError = ReturnType<FailedTransactionMetadata["err"]>;

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function instructionError(err: unknown): { json: TxErrorJson; text: string } {
  if (typeof err === "number") {
    const [name, text] = INSTRUCTION_ERRORS[err] ?? [`InstructionError${err}`, `instruction error ${err}`];
    return { json: name, text };
  }
  const code = field(err, "code");
  if (typeof code === "number") return { json: { Custom: code }, text: `custom program error: 0x${code.toString(16)}` };
  const msg = field(err, "msg");
  if (typeof msg === "string") return { json: { BorshIoError: msg }, text: `Failed to serialize or deserialize account data: ${msg}` };
  return { json: "GenericError", text: String(err) };
}

/** A litesvm transaction error as the RPC's JSON and its display text. */
export function describeTxError(err: LiteSvmTxError): { json: TxErrorJson; text: string } {
  if (typeof err === "number") {
    const [name, text] = TRANSACTION_ERRORS[err] ?? [`TransactionError${err}`, `transaction error ${err}`];
    return { json: name, text };
  }
  // The error classes are NAPI objects: told apart by their fields (index + err(), accountIndex, index).
  const index = field(err, "index");
  const inner = field(err, "err");
  if (typeof index === "number" && typeof inner === "function") {
    const ie = instructionError((inner as () => unknown).call(err));
    return { json: { InstructionError: [index, ie.json] }, text: `Error processing Instruction ${index}: ${ie.text}` };
  }
  const accountIndex = field(err, "accountIndex");
  if (typeof accountIndex === "number") {
    if ((err as object).constructor.name.includes("Restricted")) {
      return {
        json: { ProgramExecutionTemporarilyRestricted: { account_index: accountIndex } },
        text: `Execution of the program referenced by account at index ${accountIndex} is temporarily restricted.`,
      };
    }
    return {
      json: { InsufficientFundsForRent: { account_index: accountIndex } },
      text: `Transaction results in an account (${accountIndex}) with insufficient funds for rent`,
    };
  }
  if (typeof index === "number") {
    return { json: { DuplicateInstruction: index }, text: `Transaction contains a duplicate instruction (${index}) that is not allowed` };
  }
  return { json: "GenericError", text: String(err) };
}

/** A fieldless transaction error by name ("BlockhashNotFound"), with its display text. */
export function namedTxError(name: string): { json: TxErrorJson; text: string } {
  const found = TRANSACTION_ERRORS.find(([n]) => n === name);
  return { json: name, text: found ? found[1] : name };
}

/**
 * Whether a failed transaction still lands in a block (its fee is charged and it has a status), as on a
 * cluster: only execution failures do. Failures before execution (unknown blockhash, bad signature,
 * unfunded fee payer, duplicate, bad lookup table) drop the transaction.
 */
export function landsWhenFailed(err: LiteSvmTxError): boolean {
  return typeof err !== "number";
}
