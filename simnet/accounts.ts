// Accounts as the RPC returns them: `{ data, executable, lamports, owner, rentEpoch, space }` with data in
// base58, base64 or jsonParsed (SPL Token and Token-2022 accounts and mints, as solana-validator parses
// them; anything else falls back to base64), optionally sliced. Token amounts come with their UI forms.
import { encodeBase58 } from "./base58";
import { RpcError, RpcErrorCode, invalidParams } from "./errors";

export const TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
export const TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
export const TOKEN_PROGRAMS: ReadonlySet<string> = new Set([TOKEN_PROGRAM, TOKEN_2022_PROGRAM]);

/** Rent epoch the validator reports for rent-exempt accounts (all accounts today): u64::MAX. */
export const RENT_EXEMPT_RENT_EPOCH = (1n << 64n) - 1n;

/** One account's state. Lamports are u64 as bigint. */
export interface AccountState {
  lamports: bigint;
  data: Uint8Array;
  owner: string;
  executable: boolean;
}

export type AccountEncoding = "base58" | "base64" | "jsonParsed" | "binary";
export interface DataSlice {
  offset: number;
  length: number;
}

/** What jsonParsed needs beyond the account itself: a mint's decimals (null when it is not a mint). */
export type MintDecimals = (mint: string) => number | null;

// Layouts of SPL Token state (identical in Token-2022 for the base part).
const MINT_SIZE = 82;
const TOKEN_ACCOUNT_SIZE = 165;
/** Token-2022 puts an AccountType byte right after the 165-byte base: 1 mint, 2 account. */
const ACCOUNT_TYPE_OFFSET = 165;
/** solana-validator refuses to base58-encode more than this many bytes. */
const MAX_BASE58_BYTES = 128;

export interface TokenAccountFields {
  mint: string;
  owner: string;
  amount: bigint;
  delegate: string | null;
  /** 0 uninitialized, 1 initialized, 2 frozen. */
  state: number;
  /** The rent-exempt reserve when the account holds wrapped SOL. */
  isNative: bigint | null;
  delegatedAmount: bigint;
  closeAuthority: string | null;
}

export interface MintFields {
  mintAuthority: string | null;
  supply: bigint;
  decimals: number;
  isInitialized: boolean;
  freezeAuthority: string | null;
}

function u64(data: Uint8Array, offset: number): bigint {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(offset, true);
}

function u32(data: Uint8Array, offset: number): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(offset, true);
}

function key(data: Uint8Array, offset: number): string {
  return encodeBase58(data.subarray(offset, offset + 32));
}

/** COption<Pubkey>: a u32 tag (0 none, 1 some) then 32 bytes. */
function optionalKey(data: Uint8Array, offset: number): string | null {
  return u32(data, offset) === 1 ? key(data, offset + 4) : null;
}

function isTokenAccountLayout(data: Uint8Array): boolean {
  return data.length === TOKEN_ACCOUNT_SIZE || (data.length > TOKEN_ACCOUNT_SIZE && data[ACCOUNT_TYPE_OFFSET] === 2);
}

function isMintLayout(data: Uint8Array): boolean {
  return data.length === MINT_SIZE || (data.length > TOKEN_ACCOUNT_SIZE && data[ACCOUNT_TYPE_OFFSET] === 1);
}

/** The fields of an initialized token account, or null when `account` is not one. */
export function readTokenAccount(account: AccountState): TokenAccountFields | null {
  const d = account.data;
  if (!TOKEN_PROGRAMS.has(account.owner) || !isTokenAccountLayout(d)) return null;
  const state = d[108];
  if (state === 0 || state > 2) return null;
  return {
    mint: key(d, 0),
    owner: key(d, 32),
    amount: u64(d, 64),
    delegate: optionalKey(d, 72),
    state,
    isNative: u32(d, 109) === 1 ? u64(d, 113) : null,
    delegatedAmount: u64(d, 121),
    closeAuthority: optionalKey(d, 129),
  };
}

/** The fields of an initialized mint, or null when `account` is not one. */
export function readMint(account: AccountState): MintFields | null {
  const d = account.data;
  if (!TOKEN_PROGRAMS.has(account.owner) || !isMintLayout(d) || d.length < MINT_SIZE) return null;
  if (d[45] !== 1) return null;
  return {
    mintAuthority: optionalKey(d, 0),
    supply: u64(d, 36),
    decimals: d[44],
    isInitialized: true,
    freezeAuthority: optionalKey(d, 46),
  };
}

/** `amount` base units with `decimals` as a trimmed decimal string ("1.5", "0", "12"). */
export function uiAmountString(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const scale = 10n ** BigInt(decimals);
  const whole = amount / scale;
  const fraction = (amount % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/** The RPC's UiTokenAmount. */
export function uiTokenAmount(amount: bigint, decimals: number) {
  const text = uiAmountString(amount, decimals);
  return { amount: amount.toString(), decimals, uiAmount: Number(text), uiAmountString: text };
}

function parsedTokenAccount(account: AccountState, decimalsOf: MintDecimals): { program: string; parsed: unknown; space: number } | null {
  const program = account.owner === TOKEN_PROGRAM ? "spl-token" : "spl-token-2022";
  const token = readTokenAccount(account);
  if (token) {
    const decimals = decimalsOf(token.mint);
    if (decimals === null) return null;
    const info: Record<string, unknown> = {
      isNative: token.isNative !== null,
      mint: token.mint,
      owner: token.owner,
      state: token.state === 2 ? "frozen" : "initialized",
      tokenAmount: uiTokenAmount(token.amount, decimals),
    };
    if (token.delegate) {
      info.delegate = token.delegate;
      info.delegatedAmount = uiTokenAmount(token.delegatedAmount, decimals);
    }
    if (token.isNative !== null) info.rentExemptReserve = uiTokenAmount(token.isNative, 9);
    if (token.closeAuthority) info.closeAuthority = token.closeAuthority;
    return { program, parsed: { info, type: "account" }, space: account.data.length };
  }
  const mint = readMint(account);
  if (mint) {
    return {
      program,
      parsed: {
        info: {
          decimals: mint.decimals,
          freezeAuthority: mint.freezeAuthority,
          isInitialized: mint.isInitialized,
          mintAuthority: mint.mintAuthority,
          supply: mint.supply.toString(),
        },
        type: "mint",
      },
      space: account.data.length,
    };
  }
  return null;
}

function sliced(data: Uint8Array, slice: DataSlice | undefined): Uint8Array {
  if (!slice) return data;
  return data.subarray(Math.min(slice.offset, data.length), Math.min(slice.offset + slice.length, data.length));
}

/** The encoded `data` field of an account. */
export function encodeAccountData(account: AccountState, encoding: AccountEncoding, slice: DataSlice | undefined, decimalsOf: MintDecimals): unknown {
  if (encoding === "jsonParsed" && !slice && TOKEN_PROGRAMS.has(account.owner)) {
    const parsed = parsedTokenAccount(account, decimalsOf);
    if (parsed) return parsed;
  }
  const bytes = sliced(account.data, slice);
  if (encoding === "base58" || encoding === "binary") {
    if (bytes.length > MAX_BASE58_BYTES) {
      throw new RpcError(
        RpcErrorCode.InvalidRequest,
        `Encoded binary (base 58) data should be less than ${MAX_BASE58_BYTES} bytes, please use Base64 encoding.`,
      );
    }
    // "binary" is the legacy default: a bare base58 string rather than [text, encoding].
    return encoding === "binary" ? encodeBase58(bytes) : [encodeBase58(bytes), "base58"];
  }
  return [Buffer.from(bytes).toString("base64"), "base64"];
}

/** The RPC's UiAccount. */
export function encodeAccount(account: AccountState, encoding: AccountEncoding, slice: DataSlice | undefined, decimalsOf: MintDecimals) {
  return {
    data: encodeAccountData(account, encoding, slice, decimalsOf),
    executable: account.executable,
    lamports: account.lamports,
    owner: account.owner,
    rentEpoch: RENT_EXEMPT_RENT_EPOCH,
    space: account.data.length,
  };
}

/** Reads `encoding` from a config object: base58, base64, jsonParsed or the legacy default. */
export function accountEncodingOf(value: unknown, fallback: AccountEncoding): AccountEncoding {
  if (value === undefined || value === null) return fallback;
  if (value === "base58" || value === "base64" || value === "jsonParsed" || value === "binary") return value;
  if (value === "base64+zstd") throw invalidParams("Invalid params: base64+zstd encoding is not supported by this node");
  throw invalidParams(`Invalid params: unknown variant \`${String(value)}\`, expected one of \`binary\`, \`base58\`, \`base64\`, \`jsonParsed\`, \`base64+zstd\``);
}

/** Reads `dataSlice` from a config object. */
export function dataSliceOf(value: unknown): DataSlice | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof value !== "object" || !Number.isSafeInteger(v.offset) || !Number.isSafeInteger(v.length) || (v.offset as number) < 0 || (v.length as number) < 0) {
    throw invalidParams("Invalid params: dataSlice must be { offset, length } with non-negative integers");
  }
  return { offset: v.offset as number, length: v.length as number };
}
