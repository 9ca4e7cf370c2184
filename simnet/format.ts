// Landed transactions in the RPC's shapes: getTransaction (json, jsonParsed, base64, base58),
// getSignatureStatuses entries and getSignaturesForAddress entries, field for field as solana-validator
// writes them (web3.js validates most of these with superstruct, so a missing field is a client error).
import { encodeBase58 } from "./base58";
import type { InnerInstructionRecord, TxRecord } from "./history";
import { parseInstruction } from "./parsed-instructions";

export type TransactionEncoding = "json" | "jsonParsed" | "base64" | "base58";

function rawInstruction(ix: InnerInstructionRecord) {
  return { programIdIndex: ix.programIdIndex, accounts: ix.accounts, data: encodeBase58(ix.data), stackHeight: ix.stackHeight };
}

function parsedFromIndexes(record: TxRecord, programIdIndex: number, accounts: number[], data: Uint8Array, stackHeight: number | null) {
  const keys = record.accountKeys;
  return parseInstruction(keys[programIdIndex], accounts.map((i) => keys[i]), data, stackHeight);
}

function meta(record: TxRecord, parsed: boolean) {
  const out: Record<string, unknown> = {
    err: record.err,
    status: record.err === null ? { Ok: null } : { Err: record.err },
    fee: record.fee,
    preBalances: record.preBalances,
    postBalances: record.postBalances,
    innerInstructions: record.innerInstructions.map(({ index, instructions }) => ({
      index,
      instructions: parsed
        ? instructions.map((ix) => parsedFromIndexes(record, ix.programIdIndex, ix.accounts, ix.data, ix.stackHeight))
        : instructions.map(rawInstruction),
    })),
    logMessages: record.logs,
    preTokenBalances: record.preTokenBalances,
    postTokenBalances: record.postTokenBalances,
    rewards: [],
    loadedAddresses: record.loadedAddresses,
    computeUnitsConsumed: record.computeUnitsConsumed,
  };
  if (record.returnData) {
    out.returnData = { programId: record.returnData.programId, data: [Buffer.from(record.returnData.data).toString("base64"), "base64"] };
  }
  return out;
}

function lookups(record: TxRecord) {
  return record.wire.message.addressTableLookups.map((l) => ({
    accountKey: l.accountKey.toBase58(),
    writableIndexes: l.writableIndexes,
    readonlyIndexes: l.readonlyIndexes,
  }));
}

function jsonTransaction(record: TxRecord) {
  const message = record.wire.message;
  const out: Record<string, unknown> = {
    header: message.header,
    accountKeys: message.staticAccountKeys.map((k) => k.toBase58()),
    recentBlockhash: message.recentBlockhash,
    instructions: message.compiledInstructions.map((ix) => ({
      programIdIndex: ix.programIdIndex,
      accounts: ix.accountKeyIndexes,
      data: encodeBase58(ix.data),
      stackHeight: null,
    })),
  };
  if (record.version === 0) out.addressTableLookups = lookups(record);
  return { signatures: record.wire.signatures, message: out };
}

function parsedTransaction(record: TxRecord) {
  const message = record.wire.message;
  const out: Record<string, unknown> = {
    accountKeys: record.accountKeys.map((pubkey, i) => ({
      pubkey,
      signer: record.signer[i],
      source: record.fromLookup[i] ? "lookupTable" : "transaction",
      writable: record.writable[i],
    })),
    recentBlockhash: message.recentBlockhash,
    instructions: message.compiledInstructions.map((ix) => parsedFromIndexes(record, ix.programIdIndex, ix.accountKeyIndexes, ix.data, null)),
  };
  if (record.version === 0) out.addressTableLookups = lookups(record);
  return { signatures: record.wire.signatures, message: out };
}

/**
 * getTransaction's result. `withVersion` adds the `version` field (the client passed
 * maxSupportedTransactionVersion), as the validator does.
 */
export function formatTransaction(record: TxRecord, encoding: TransactionEncoding, withVersion: boolean) {
  let transaction: unknown;
  if (encoding === "json") transaction = jsonTransaction(record);
  else if (encoding === "jsonParsed") transaction = parsedTransaction(record);
  else if (encoding === "base64") transaction = [Buffer.from(record.wire.raw).toString("base64"), "base64"];
  else transaction = [encodeBase58(record.wire.raw), "base58"];
  const out: Record<string, unknown> = {
    slot: record.slot,
    transaction,
    meta: meta(record, encoding === "jsonParsed"),
    blockTime: record.blockTime,
  };
  if (withVersion) out.version = record.version;
  return out;
}

/**
 * getSignatureStatuses' entry. A single node with no forks finalizes what it executes, so every landed
 * transaction is reported finalized (confirmations null), which is what clients waiting on any commitment accept.
 */
export function formatStatus(record: TxRecord) {
  return {
    slot: record.slot,
    confirmations: null,
    err: record.err,
    status: record.err === null ? { Ok: null } : { Err: record.err },
    confirmationStatus: "finalized",
  };
}

/** getSignaturesForAddress' entry. */
export function formatSignatureInfo(record: TxRecord) {
  return {
    signature: record.signature,
    slot: record.slot,
    err: record.err,
    memo: record.memo,
    blockTime: record.blockTime,
    confirmationStatus: "finalized",
  };
}
