// The HTTP JSON-RPC methods, answered from the chain in the shapes solana-validator returns (what
// @solana/web3.js, @coral-xyz/anchor, @solana/spl-token and wallet adapters parse). Reads have one state
// (a single node finalizes what it executes), so every commitment level is accepted and answers the same.
import { PublicKey, VersionedMessage } from "@solana/web3.js";
import {
  TOKEN_PROGRAMS,
  accountEncodingOf,
  dataSliceOf,
  encodeAccount,
  readMint,
  readTokenAccount,
  uiTokenAmount,
  type AccountEncoding,
  type AccountState,
  type DataSlice,
} from "./accounts";
import { decodeBase58 } from "./base58";
import { STATUS_CACHE_SLOTS, type Chain, type SimulationResult } from "./chain";
import { SLOTS_PER_EPOCH } from "./clock";
import { RpcError, RpcErrorCode, invalidParams, namedTxError, type TxErrorJson } from "./errors";
import { formatSignatureInfo, formatStatus, formatTransaction, type TransactionEncoding } from "./format";
import { filtersOf } from "./filters";
import { NOT_FOUND, type Dispatch } from "./jsonrpc";
import { parseInstruction } from "./parsed-instructions";
import {
  atMost,
  booleanOf,
  checkMinContextSlot,
  commitmentOf,
  configAt,
  pubkeyAt,
  signatureOf,
  unsignedAt,
  type Config,
} from "./params";
import { decodeWire, parseWire, signaturesValid, messageFee, type WireEncoding, type WireTransaction } from "./wire";

/** The runtime litesvm 1.5 bundles (solana-program-runtime 4.3), reported as the node's version. */
export const SOLANA_CORE_VERSION = "4.3.0";
const MAX_MULTIPLE_ACCOUNTS = 100;
const MAX_SIGNATURE_STATUSES = 256;
const MAX_SIGNATURES_FOR_ADDRESS = 1000;
/** Lamports one requestAirdrop may ask for: 1,000,000 SOL. */
export const MAX_AIRDROP_LAMPORTS = 1_000_000_000_000_000n;

type Handler = (params: unknown[]) => unknown;

export interface RpcMethodsOptions {
  /** Identity reported by getIdentity/getSlotLeader (base58). */
  identity: string;
}

function belowConfirmed(config: Config): boolean {
  return commitmentOf(config) === "processed" || config.commitment === "recent";
}

function preflightFailure(err: { json: TxErrorJson; text: string }, sim?: SimulationResult): RpcError {
  return new RpcError(RpcErrorCode.SendTransactionPreflightFailure, `Transaction simulation failed: ${err.text}`, {
    accounts: null,
    err: err.json,
    innerInstructions: null,
    logs: sim?.logs ?? [],
    replacementBlockhash: null,
    returnData: sim ? returnDataJson(sim.returnData) : null,
    unitsConsumed: sim?.unitsConsumed ?? 0n,
  });
}

function returnDataJson(rd: { programId: string; data: Uint8Array } | null) {
  return rd ? { programId: rd.programId, data: [Buffer.from(rd.data).toString("base64"), "base64"] } : null;
}

function wireEncodingOf(config: Config): WireEncoding {
  const e = config.encoding;
  if (e === undefined || e === null || e === "base58") return "base58";
  if (e === "base64") return "base64";
  throw invalidParams(`unsupported encoding: ${String(e)}. Supported encodings: base58, base64`);
}

function transactionEncodingOf(value: unknown): TransactionEncoding {
  if (value === undefined || value === null) return "json";
  if (value === "json" || value === "jsonParsed" || value === "base64" || value === "base58") return value;
  throw invalidParams(`Invalid params: unknown variant \`${String(value)}\`, expected one of \`binary\`, \`base64\`, \`base58\`, \`json\`, \`jsonParsed\``);
}

/** The HTTP methods as a dispatcher for handleJsonRpc. */
export function rpcMethods(chain: Chain, options: RpcMethodsOptions): Dispatch {
  const decimalsOf = (mint: string) => chain.mintDecimals(mint);
  const context = () => ({ apiVersion: SOLANA_CORE_VERSION, slot: chain.slot });
  const withContext = (value: unknown) => ({ context: context(), value });
  const encode = (account: AccountState | null, encoding: AccountEncoding, slice: DataSlice | undefined) =>
    account ? encodeAccount(account, encoding, slice, decimalsOf) : null;
  const readConfig = (params: unknown[], index: number): Config => {
    atMost(params, index + 1);
    const config = configAt(params, index);
    checkMinContextSlot(config, chain.slot);
    return config;
  };

  const tokenAccountOrThrow = (address: string) => {
    const account = chain.account(address);
    if (!account) throw invalidParams("Invalid param: could not find account");
    const token = readTokenAccount(account);
    if (!token) throw invalidParams("Invalid param: not a Token account");
    return token;
  };

  const sendTransaction: Handler = (params) => {
    atMost(params, 2);
    const config = readConfig(params, 1);
    const wire = parseWire(decodeWire(params[0], wireEncodingOf(config)));
    if (!booleanOf(config, "skipPreflight", false)) {
      if (!signaturesValid(wire)) throw new RpcError(RpcErrorCode.TransactionSignatureVerificationFailure, "Transaction signature verification failure");
      if (chain.history.has(wire.signature)) throw preflightFailure(namedTxError("AlreadyProcessed"));
      if (!chain.blockhashAcceptable(wire)) throw preflightFailure(namedTxError("BlockhashNotFound"));
      const sim = chain.simulate(wire, false);
      if (sim.err !== null) throw preflightFailure({ json: sim.err, text: sim.errText ?? String(sim.err) }, sim);
    }
    // Landed or dropped (unknown blockhash, bad signature, duplicate), the answer is the signature, as
    // from a cluster: the client learns the outcome from getSignatureStatuses or signatureSubscribe.
    chain.execute(wire);
    return wire.signature;
  };

  const simulateTransaction: Handler = (params) => {
    atMost(params, 2);
    const config = readConfig(params, 1);
    const wire: WireTransaction = parseWire(decodeWire(params[0], wireEncodingOf(config)));
    const sigVerify = booleanOf(config, "sigVerify", false);
    const replace = booleanOf(config, "replaceRecentBlockhash", false);
    if (sigVerify && replace) throw invalidParams("sigVerify may not be used with replaceRecentBlockhash");
    if (sigVerify && !signaturesValid(wire)) throw new RpcError(RpcErrorCode.TransactionSignatureVerificationFailure, "Transaction signature verification failure");
    let addresses: string[] = [];
    let accountsEncoding: AccountEncoding = "base64";
    if (config.accounts !== undefined && config.accounts !== null) {
      const a = config.accounts as Record<string, unknown>;
      if (typeof a !== "object" || !Array.isArray(a.addresses)) throw invalidParams("Invalid params: accounts.addresses must be an array");
      addresses = a.addresses.map((_, i) => pubkeyAt(a.addresses as unknown[], i));
      accountsEncoding = accountEncodingOf(a.encoding, "base64");
      if (accountsEncoding === "base58" || accountsEncoding === "binary") throw invalidParams("base58 encoding not supported");
    }
    const latest = chain.latestBlockhash;
    const base = {
      accounts: null as unknown,
      innerInstructions: null as unknown,
      replacementBlockhash: replace ? latest : null,
      returnData: null as unknown,
    };
    if (!replace && !chain.blockhashAcceptable(wire)) {
      return withContext({ ...base, err: "BlockhashNotFound", logs: [], unitsConsumed: 0 });
    }
    const sim = chain.simulate(wire, false);
    if (addresses.length > sim.accountKeys.length && sim.accountKeys.length > 0) {
      throw invalidParams(`Too many accounts provided; max ${sim.accountKeys.length}`);
    }
    const accounts =
      addresses.length > 0 ? addresses.map((a) => encode(sim.postAccounts.get(a) ?? chain.account(a), accountsEncoding, undefined)) : null;
    const inner = booleanOf(config, "innerInstructions", false)
      ? sim.innerInstructions.map(({ index, instructions }) => ({
          index,
          instructions: instructions.map((ix) =>
            parseInstruction(sim.accountKeys[ix.programIdIndex], ix.accounts.map((i) => sim.accountKeys[i]), ix.data, ix.stackHeight),
          ),
        }))
      : null;
    return withContext({
      ...base,
      err: sim.err,
      logs: sim.logs,
      accounts,
      unitsConsumed: sim.unitsConsumed,
      returnData: returnDataJson(sim.returnData),
      innerInstructions: inner,
      fee: messageFee(wire.message),
    });
  };

  const methods: Record<string, Handler> = {
    getHealth: () => "ok",
    getVersion: () => ({ "solana-core": SOLANA_CORE_VERSION, "feature-set": 0 }),
    getGenesisHash: () => chain.genesis.hash,
    getIdentity: () => ({ identity: options.identity }),
    getSlotLeader: (params) => {
      readConfig(params, 0);
      return options.identity;
    },
    getSlot: (params) => {
      readConfig(params, 0);
      return chain.slot;
    },
    getBlockHeight: (params) => {
      readConfig(params, 0);
      return chain.blockHeight;
    },
    getTransactionCount: (params) => {
      readConfig(params, 0);
      return chain.history.size;
    },
    minimumLedgerSlot: () => 0,
    getFirstAvailableBlock: () => 0,
    getEpochInfo: (params) => {
      readConfig(params, 0);
      return {
        absoluteSlot: chain.slot,
        blockHeight: chain.blockHeight,
        epoch: chain.slot / SLOTS_PER_EPOCH,
        slotIndex: chain.slot % SLOTS_PER_EPOCH,
        slotsInEpoch: SLOTS_PER_EPOCH,
        transactionCount: chain.history.size,
      };
    },
    getEpochSchedule: () => ({
      slotsPerEpoch: SLOTS_PER_EPOCH,
      leaderScheduleSlotOffset: SLOTS_PER_EPOCH,
      warmup: false,
      firstNormalEpoch: 0,
      firstNormalSlot: 0,
    }),
    getLatestBlockhash: (params) => {
      readConfig(params, 0);
      return withContext(chain.latestBlockhash);
    },
    isBlockhashValid: (params) => {
      atMost(params, 2);
      readConfig(params, 1);
      const hash = params[0];
      if (typeof hash !== "string") throw invalidParams("Invalid params: blockhash must be a string");
      let bytes: Uint8Array;
      try {
        bytes = decodeBase58(hash);
      } catch {
        throw invalidParams("Invalid param: Invalid");
      }
      if (bytes.length !== 32) throw invalidParams("Invalid param: WrongSize");
      return withContext(chain.isBlockhashValid(hash));
    },
    getFeeForMessage: (params) => {
      atMost(params, 2);
      readConfig(params, 1);
      if (typeof params[0] !== "string") throw invalidParams("Invalid params: message must be a base64 string");
      let message: VersionedMessage;
      try {
        message = VersionedMessage.deserialize(Buffer.from(params[0], "base64"));
      } catch (e) {
        throw invalidParams(`invalid message: ${(e as Error).message}`);
      }
      return withContext(chain.isBlockhashValid(message.recentBlockhash) ? messageFee(message) : null);
    },
    getRecentPrioritizationFees: (params) => {
      if (params[0] !== undefined && !Array.isArray(params[0])) throw invalidParams("Invalid params: expected an array of addresses");
      return [{ slot: chain.slot, prioritizationFee: 0 }];
    },
    getMinimumBalanceForRentExemption: (params) => {
      atMost(params, 2);
      readConfig(params, 1);
      const size = unsignedAt(params, 0, "data length");
      if (size > 10n * 1024n * 1024n) throw invalidParams("Invalid params: data length exceeds 10 MiB");
      return chain.minimumBalanceForRentExemption(size);
    },
    getBalance: (params) => {
      atMost(params, 2);
      const address = pubkeyAt(params, 0);
      readConfig(params, 1);
      return withContext(chain.account(address)?.lamports ?? 0n);
    },
    getAccountInfo: (params) => {
      atMost(params, 2);
      const address = pubkeyAt(params, 0);
      const config = readConfig(params, 1);
      return withContext(encode(chain.account(address), accountEncodingOf(config.encoding, "binary"), dataSliceOf(config.dataSlice)));
    },
    getMultipleAccounts: (params) => {
      atMost(params, 2);
      if (!Array.isArray(params[0])) throw invalidParams("Invalid params: expected an array of addresses");
      const keys = params[0] as unknown[];
      if (keys.length > MAX_MULTIPLE_ACCOUNTS) throw invalidParams(`Too many inputs provided; max ${MAX_MULTIPLE_ACCOUNTS}`);
      const addresses = keys.map((_, i) => pubkeyAt(keys, i));
      const config = readConfig(params, 1);
      const encoding = accountEncodingOf(config.encoding, "base64");
      const slice = dataSliceOf(config.dataSlice);
      return withContext(addresses.map((a) => encode(chain.account(a), encoding, slice)));
    },
    getProgramAccounts: (params) => {
      atMost(params, 2);
      const program = pubkeyAt(params, 0);
      const config = readConfig(params, 1);
      const encoding = accountEncodingOf(config.encoding, "binary");
      const slice = dataSliceOf(config.dataSlice);
      const filters = filtersOf(config.filters);
      const value = chain
        .programAccounts(program)
        .filter(({ account }) => filters.every((f) => f(account)))
        .map(({ address, account }) => ({ pubkey: address, account: encodeAccount(account, encoding, slice, decimalsOf) }));
      return booleanOf(config, "withContext", false) ? withContext(value) : value;
    },
    getTokenAccountBalance: (params) => {
      atMost(params, 2);
      const address = pubkeyAt(params, 0);
      readConfig(params, 1);
      const token = tokenAccountOrThrow(address);
      const decimals = chain.mintDecimals(token.mint);
      if (decimals === null) throw invalidParams("Invalid param: could not find mint");
      return withContext(uiTokenAmount(token.amount, decimals));
    },
    getTokenSupply: (params) => {
      atMost(params, 2);
      const address = pubkeyAt(params, 0);
      readConfig(params, 1);
      const account = chain.account(address);
      if (!account) throw invalidParams("Invalid param: could not find account");
      const mint = readMint(account);
      if (!mint) throw invalidParams("Invalid param: not a Token mint");
      return withContext(uiTokenAmount(mint.supply, mint.decimals));
    },
    getTokenAccountsByOwner: (params) => {
      atMost(params, 3);
      const owner = pubkeyAt(params, 0);
      const filter = params[1] as Record<string, unknown> | undefined;
      if (typeof filter !== "object" || filter === null) throw invalidParams("Invalid params: expected { mint } or { programId }");
      const config = readConfig(params, 2);
      let programs: string[];
      let mint: string | null = null;
      if (typeof filter.mint === "string") {
        mint = pubkeyAt([filter.mint], 0);
        const mintAccount = chain.account(mint);
        if (!mintAccount || !TOKEN_PROGRAMS.has(mintAccount.owner)) throw invalidParams("Invalid param: could not find mint");
        programs = [mintAccount.owner];
      } else if (typeof filter.programId === "string") {
        const program = pubkeyAt([filter.programId], 0);
        if (!TOKEN_PROGRAMS.has(program)) throw invalidParams("Invalid param: unrecognized Token program id");
        programs = [program];
      } else {
        throw invalidParams("Invalid params: expected { mint } or { programId }");
      }
      const encoding = accountEncodingOf(config.encoding, "binary");
      const slice = dataSliceOf(config.dataSlice);
      const value = programs.flatMap((program) =>
        chain
          .programAccounts(program)
          .filter(({ account }) => {
            const token = readTokenAccount(account);
            return token !== null && token.owner === owner && (mint === null || token.mint === mint);
          })
          .map(({ address, account }) => ({ pubkey: address, account: encodeAccount(account, encoding, slice, decimalsOf) })),
      );
      return withContext(value);
    },
    getSignatureStatuses: (params) => {
      atMost(params, 2);
      if (!Array.isArray(params[0])) throw invalidParams("Invalid params: expected an array of signatures");
      const signatures = (params[0] as unknown[]).map(signatureOf);
      if (signatures.length > MAX_SIGNATURE_STATUSES) throw invalidParams(`Too many inputs provided; max ${MAX_SIGNATURE_STATUSES}`);
      const config = readConfig(params, 1);
      const searchHistory = booleanOf(config, "searchTransactionHistory", false);
      return withContext(
        signatures.map((s) => {
          const record = chain.history.get(s);
          if (!record) return null;
          // Without searchTransactionHistory only the status cache (recent slots) is consulted, as on a cluster.
          if (!searchHistory && chain.slot - record.slot > STATUS_CACHE_SLOTS) return null;
          return formatStatus(record);
        }),
      );
    },
    getSignaturesForAddress: (params) => {
      atMost(params, 2);
      const address = pubkeyAt(params, 0);
      const config = readConfig(params, 1);
      if (belowConfirmed(config)) throw invalidParams("Method does not support commitment below `confirmed`");
      let limit = MAX_SIGNATURES_FOR_ADDRESS;
      if (config.limit !== undefined && config.limit !== null) {
        if (typeof config.limit !== "number" || !Number.isSafeInteger(config.limit) || config.limit < 1 || config.limit > MAX_SIGNATURES_FOR_ADDRESS) {
          throw invalidParams(`Invalid limit; max ${MAX_SIGNATURES_FOR_ADDRESS}`);
        }
        limit = config.limit;
      }
      const before = config.before === undefined || config.before === null ? undefined : signatureOf(config.before);
      const until = config.until === undefined || config.until === null ? undefined : signatureOf(config.until);
      return chain.history.forAddress(address, { before, until, limit }).map(formatSignatureInfo);
    },
    getTransaction: (params) => {
      atMost(params, 2);
      const signature = signatureOf(params[0]);
      // The second param is a config object, or (legacy clients) just the encoding.
      const config: Config = typeof params[1] === "string" ? { encoding: params[1] } : readConfig(params, 1);
      if (belowConfirmed(config)) throw invalidParams("Method does not support commitment below `confirmed`");
      const encoding = transactionEncodingOf(config.encoding);
      const maxVersion = config.maxSupportedTransactionVersion;
      if (maxVersion !== undefined && maxVersion !== null && maxVersion !== 0) {
        throw invalidParams(`Invalid params: maxSupportedTransactionVersion must be 0, got ${String(maxVersion)}`);
      }
      const record = chain.history.get(signature);
      if (!record) return null;
      const withVersion = maxVersion === 0;
      if (record.version === 0 && !withVersion) {
        throw new RpcError(
          RpcErrorCode.TransactionVersionNotSupported,
          'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0',
        );
      }
      return formatTransaction(record, encoding, withVersion);
    },
    requestAirdrop: (params) => {
      atMost(params, 3);
      const to = pubkeyAt(params, 0);
      const lamports = unsignedAt(params, 1, "lamports");
      readConfig(params, 2);
      if (lamports === 0n) throw invalidParams("Invalid params: lamports must be greater than 0");
      if (lamports > MAX_AIRDROP_LAMPORTS) throw invalidParams(`Invalid params: an airdrop is limited to ${MAX_AIRDROP_LAMPORTS} lamports`);
      const outcome = chain.airdrop(new PublicKey(to), lamports);
      if (!outcome.landed) throw new RpcError(RpcErrorCode.InternalError, `airdrop failed: ${outcome.err.text}`);
      return outcome.record.signature;
    },
    sendTransaction,
    simulateTransaction,
  };

  return (method, params) => {
    const handler = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
    return handler ? handler(params) : NOT_FOUND;
  };
}
