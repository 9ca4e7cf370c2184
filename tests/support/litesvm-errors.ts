// Human-readable text for litesvm's transaction errors, in the words solana-validator uses
// ("Error processing Instruction 0: custom program error: 0x1777"), so that code which parses RPC error
// messages (anchor's ProgramError.parse, the SDK's programErrorOf) reads them the same way.
import type { FailedTransactionMetadata } from "litesvm";

// Names of litesvm's const enums (internal.d.ts), by value: the enums exist only at type level.
const INSTRUCTION_ERRORS = (
  "GenericError,InvalidArgument,InvalidInstructionData,InvalidAccountData,AccountDataTooSmall,InsufficientFunds," +
  "IncorrectProgramId,MissingRequiredSignature,AccountAlreadyInitialized,UninitializedAccount,UnbalancedInstruction," +
  "ModifiedProgramId,ExternalAccountLamportSpend,ExternalAccountDataModified,ReadonlyLamportChange,ReadonlyDataModified," +
  "DuplicateAccountIndex,ExecutableModified,RentEpochModified,NotEnoughAccountKeys,AccountDataSizeChanged," +
  "AccountNotExecutable,AccountBorrowFailed,AccountBorrowOutstanding,DuplicateAccountOutOfSync,InvalidError," +
  "ExecutableDataModified,ExecutableLamportChange,ExecutableAccountNotRentExempt,UnsupportedProgramId,CallDepth," +
  "MissingAccount,ReentrancyNotAllowed,MaxSeedLengthExceeded,InvalidSeeds,InvalidRealloc,ComputationalBudgetExceeded," +
  "PrivilegeEscalation,ProgramEnvironmentSetupFailure,ProgramFailedToComplete,ProgramFailedToCompile,Immutable," +
  "IncorrectAuthority,AccountNotRentExempt,InvalidAccountOwner,ArithmeticOverflow,UnsupportedSysvar,IllegalOwner," +
  "MaxAccountsDataAllocationsExceeded,MaxAccountsExceeded,MaxInstructionTraceLengthExceeded," +
  "BuiltinProgramsMustConsumeComputeUnits,BorshIoError"
).split(",");

const TRANSACTION_ERRORS = (
  "AccountInUse,AccountLoadedTwice,AccountNotFound,ProgramAccountNotFound,InsufficientFundsForFee,InvalidAccountForFee," +
  "AlreadyProcessed,BlockhashNotFound,CallChainTooDeep,MissingSignatureForFee,InvalidAccountIndex,SignatureFailure," +
  "InvalidProgramForExecution,SanitizeFailure,ClusterMaintenance,AccountBorrowOutstanding,WouldExceedMaxBlockCostLimit," +
  "UnsupportedVersion,InvalidWritableAccount,WouldExceedMaxAccountCostLimit,WouldExceedAccountDataBlockLimit," +
  "TooManyAccountLocks,AddressLookupTableNotFound,InvalidAddressLookupTableOwner,InvalidAddressLookupTableData," +
  "InvalidAddressLookupTableIndex,InvalidRentPayingAccount,WouldExceedMaxVoteCostLimit," +
  "WouldExceedAccountDataTotalLimit,MaxLoadedAccountsDataSizeExceeded,ResanitizationNeeded," +
  "InvalidLoadedAccountsDataSizeLimit,UnbalancedTransaction,ProgramCacheHitMaxLimit,CommitCancelled"
).split(",");

type TxError = ReturnType<FailedTransactionMetadata["err"]>;

function hasField<K extends string>(value: unknown, key: K): value is Record<K, unknown> {
  return typeof value === "object" && value !== null && key in value;
}

function instructionErrorText(err: unknown): string {
  if (typeof err === "number") return INSTRUCTION_ERRORS[err] ?? `InstructionError ${err}`;
  if (hasField(err, "code") && typeof err.code === "number") return `custom program error: 0x${err.code.toString(16)}`;
  if (hasField(err, "msg") && typeof err.msg === "string") return `BorshIoError: ${err.msg}`;
  return String(err);
}

/** The failure of a litesvm transaction as solana-validator words it. */
export function describeTransactionError(err: TxError): string {
  if (typeof err === "number") return TRANSACTION_ERRORS[err] ?? `TransactionError ${err}`;
  if (hasField(err, "err") && typeof err.err === "function" && hasField(err, "index")) {
    return `Error processing Instruction ${String(err.index)}: ${instructionErrorText((err.err as () => unknown)())}`;
  }
  if (hasField(err, "accountIndex")) return `${err.constructor.name} (account index ${String(err.accountIndex)})`;
  if (hasField(err, "index")) return `DuplicateInstruction ${String(err.index)}`;
  return String(err);
}

/** The custom program error code of a failed transaction, if that is how it failed. */
export function customErrorCode(err: TxError): number | null {
  if (typeof err === "object" && err !== null && "err" in err && typeof err.err === "function") {
    const inner: unknown = err.err();
    if (hasField(inner, "code") && typeof inner.code === "number") return inner.code;
  }
  return null;
}
