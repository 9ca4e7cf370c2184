// The local chain: litesvm (the validator's runtime: real SBF loader, sysvars, SPL programs) driven like a
// cluster. Slots advance with wall time and each slot has its own blockhash, valid for 150 slots; the Clock
// sysvar follows wall time; transactions are checked the way a leader checks them (blockhash age,
// duplicates, signatures), executed, and those that land are recorded in the chain's own history (litesvm
// keeps none that can be queried) and announced to subscribers. Every landed transaction is also handed to
// a journal, so the chain can be rebuilt by replaying them with the clock they saw.
import { createHash } from "node:crypto";
import { Keypair, PublicKey, SystemProgram, TransactionInstruction, TransactionMessage, VersionedTransaction } from "@solana/web3.js";
import { getTransactionDecoder, type Address, type Lamports, type ReadonlyUint8Array } from "@solana/kit";
import { EpochSchedule, FailedTransactionMetadata, LiteSVM, type TransactionMetadata } from "litesvm";
import { readMint, readTokenAccount, TOKEN_PROGRAMS, uiTokenAmount, type AccountState } from "./accounts";
import { decodeBase58, encodeBase58 } from "./base58";
import { ChainClock, DEFAULT_SLOT_MS, SLOTS_PER_EPOCH } from "./clock";
import { describeTxError, landsWhenFailed, namedTxError, type TxErrorJson } from "./errors";
import { TransactionHistory, type InnerInstructionRecord, type TokenBalance, type TxRecord } from "./history";
import { loadedAccounts, memoOf, messageFee, parseWire, type LoadedAccounts, type WireTransaction } from "./wire";

/** Slots kept in the status cache: getSignatureStatuses without searchTransactionHistory looks this far back. */
export const STATUS_CACHE_SLOTS = 300n;
/** Lamports the faucet holds at genesis: 10^9 SOL. */
export const FAUCET_LAMPORTS = 1_000_000_000_000_000_000n;

const SYSTEM_PROGRAM = "11111111111111111111111111111111";
const MEMO_PROGRAM = new PublicKey("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");
const UPGRADEABLE_LOADER = "BPFLoaderUpgradeab1e11111111111111111111111";

/** What identifies a chain: created once, kept in the ledger directory. */
export interface Genesis {
  /** base58 of 32 random bytes; getGenesisHash. */
  hash: string;
  /** Unix milliseconds the chain was created. */
  createdAt: number;
}

/** A journal entry: what it takes to redo a state change. */
export type JournalEntry =
  | {
      kind: "transaction";
      slot: bigint;
      unixTimestamp: bigint;
      raw: Uint8Array;
      err: TxErrorJson | null;
      /** How many times the runtime's own blockhash had advanced (durable nonces derive from it); absent in older journals. */
      runtimeBlockhashes?: number;
    }
  | { kind: "program"; slot: bigint; unixTimestamp: bigint; programId: string; elf: Uint8Array };

export interface SlotEvent {
  slot: bigint;
  parent: bigint;
  root: bigint;
}

export interface ChainListener {
  slot?(event: SlotEvent): void;
  /** A transaction landed; `accounts` holds the post-state of every writable account it loaded. */
  transaction?(record: TxRecord, accounts: ReadonlyMap<string, AccountState | null>): void;
}

/** The result of checking and executing a transaction as a leader would. */
export type ExecuteOutcome =
  | { landed: true; record: TxRecord }
  | { landed: false; reason: "duplicate" | "blockhash" | "signature" | "failed"; err: { json: TxErrorJson; text: string }; logs: string[] };

export interface SimulationResult {
  err: TxErrorJson | null;
  errText: string | null;
  logs: string[];
  unitsConsumed: bigint;
  returnData: { programId: string; data: Uint8Array } | null;
  /** Post-state of every account the simulation touched (address → state). */
  postAccounts: Map<string, AccountState>;
  innerInstructions: { index: number; instructions: InnerInstructionRecord[] }[];
  accountKeys: string[];
}

export interface ChainOptions {
  genesis: Genesis;
  slotMs?: number;
  /** Wall clock, unix milliseconds; replaceable in tests. */
  now?: () => number;
  /** Receives every landed transaction and program load, in order, before anyone hears of it. */
  journal?: (entry: JournalEntry) => void;
  /** Told when advancing the slot failed (it is retried at the next tick). */
  onTickError?: (error: unknown) => void;
}

function sha256(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The node's identity (getIdentity, getSlotLeader): a key derived from the genesis hash. */
export function identityOf(genesis: Genesis): string {
  return encodeBase58(sha256(decodeBase58(genesis.hash), "simnet identity"));
}

/** The faucet's keypair, derived from the genesis hash (no secret to store; a local chain only). */
export function faucetKeypair(genesis: Genesis): Keypair {
  return Keypair.fromSeed(sha256(decodeBase58(genesis.hash), "simnet faucet"));
}

export class Chain {
  readonly svm: LiteSVM;
  readonly genesis: Genesis;
  readonly history = new TransactionHistory();
  readonly faucet: Keypair;
  private journal: ((entry: JournalEntry) => void) | undefined;
  private readonly onTickError: ((error: unknown) => void) | undefined;
  private readonly listeners = new Set<ChainListener>();
  private readonly decimals = new Map<string, number>();
  private readonly clock: ChainClock;
  private timer: NodeJS.Timeout | undefined;
  private readonly decoder = getTransactionDecoder();

  constructor(options: ChainOptions) {
    this.genesis = options.genesis;
    this.journal = options.journal;
    this.onTickError = options.onTickError;
    // The blockhash age check is the chain's (a window of 150 slots, as on a cluster); litesvm only knows
    // its single latest hash, so its own check stays off.
    this.svm = new LiteSVM().withBlockhashCheck(false);
    this.svm.setEpochSchedule(new EpochSchedule(SLOTS_PER_EPOCH, SLOTS_PER_EPOCH, false, 0n, 0n));
    this.clock = new ChainClock(this.svm, this.genesis.hash, options.slotMs ?? DEFAULT_SLOT_MS, options.now ?? Date.now);
    this.faucet = faucetKeypair(this.genesis);
    this.svm.setAccount({
      address: this.faucet.publicKey.toBase58() as Address,
      data: new Uint8Array(0),
      executable: false,
      lamports: FAUCET_LAMPORTS as Lamports,
      programAddress: SYSTEM_PROGRAM as Address,
      space: 0n,
    });
    this.clock.setSlot(0n, BigInt(Math.floor(this.genesis.createdAt / 1000)));
    this.clock.anchor(0n);
  }

  // ---- time ------------------------------------------------------------------------------------

  get slotMs(): number {
    return this.clock.slotMs;
  }

  get slot(): bigint {
    return this.clock.slot;
  }

  /** Every slot has a block here, so the block height is the slot. */
  get blockHeight(): bigint {
    return this.clock.slot;
  }

  get latestBlockhash(): { blockhash: string; lastValidBlockHeight: bigint } {
    return this.clock.latestBlockhash;
  }

  get clockUnixTimestamp(): bigint {
    return this.clock.unixTimestamp;
  }

  /** Whether `blockhash` was produced within the last 150 slots. */
  isBlockhashValid(blockhash: string): boolean {
    return this.clock.isBlockhashValid(blockhash);
  }

  /** Starts advancing slots with wall time (one every slotMs). */
  start(): void {
    if (this.timer) return;
    this.clock.anchor(this.clock.slot);
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (e) {
        // A failed tick (the runtime refusing a sysvar) must not stop time; the next one tries again.
        this.onTickError?.(e);
      }
    }, this.clock.slotMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Advances to the slot wall time has reached since the anchor; returns the current slot. */
  tick(): bigint {
    const target = this.clock.wallSlot();
    if (target > this.clock.slot) this.advanceTo(target);
    return this.clock.slot;
  }

  /** Moves to `slot` (later than the current one) at the current wall time and tells slot subscribers. */
  advanceTo(slot: bigint): void {
    const parent = this.clock.slot;
    if (slot <= parent) return;
    this.clock.setSlot(slot, this.clock.wallSeconds());
    const event: SlotEvent = { slot, parent, root: slot };
    for (const l of this.listeners) l.slot?.(event);
  }

  // ---- listeners -------------------------------------------------------------------------------

  subscribe(listener: ChainListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- accounts --------------------------------------------------------------------------------

  account(address: string): AccountState | null {
    const a = this.svm.getAccount(address as Address);
    if (!a.exists) return null;
    return { lamports: a.lamports, data: view(a.data), owner: a.programAddress, executable: a.executable };
  }

  /** Accounts owned by `program`, with their addresses. */
  programAccounts(program: string): { address: string; account: AccountState }[] {
    return this.svm.getProgramAccounts(program as Address).map((a) => ({
      address: a.address,
      account: { lamports: a.lamports, data: view(a.data), owner: a.programAddress, executable: a.executable },
    }));
  }

  /** Decimals of a mint (cached: they never change once a mint is initialised), or null when not a mint. */
  mintDecimals(mint: string): number | null {
    const cached = this.decimals.get(mint);
    if (cached !== undefined) return cached;
    const account = this.account(mint);
    const fields = account ? readMint(account) : null;
    if (!fields) return null;
    this.decimals.set(mint, fields.decimals);
    return fields.decimals;
  }

  minimumBalanceForRentExemption(dataLength: bigint): bigint {
    return this.svm.minimumBalanceForRentExemption(dataLength);
  }

  // ---- transactions ----------------------------------------------------------------------------

  /**
   * Checks and executes a transaction as a leader would (duplicate, blockhash age, then the runtime, which
   * verifies signatures). What lands is recorded, journaled and announced.
   */
  execute(wire: WireTransaction): ExecuteOutcome {
    if (this.history.has(wire.signature)) return { landed: false, reason: "duplicate", err: namedTxError("AlreadyProcessed"), logs: [] };
    if (!this.blockhashAcceptable(wire)) return { landed: false, reason: "blockhash", err: namedTxError("BlockhashNotFound"), logs: [] };
    return this.run(wire, this.clock.slot, this.clock.unixTimestamp, false);
  }

  /**
   * Whether the transaction's blockhash is recent, or it is a durable-nonce transaction: its first
   * instruction is AdvanceNonceAccount and its blockhash is the nonce stored in that nonce account.
   */
  blockhashAcceptable(wire: WireTransaction): boolean {
    if (this.clock.isBlockhashValid(wire.recentBlockhash)) return true;
    const first = wire.message.compiledInstructions[0];
    if (!first) return false;
    const program = wire.message.staticAccountKeys[first.programIdIndex]?.toBase58();
    // SystemInstruction::AdvanceNonceAccount is variant 4 (u32 little-endian); its first account is the nonce.
    const advances = program === SYSTEM_PROGRAM && first.data.length === 4 && first.data[0] === 4 && first.data[1] === 0 && first.data[2] === 0 && first.data[3] === 0;
    const nonceKey = advances ? wire.message.staticAccountKeys[first.accountKeyIndexes[0]] : undefined;
    const nonce = nonceKey ? this.account(nonceKey.toBase58()) : null;
    // nonce::Versions::Current(State::Initialized(Data { authority, durable_nonce, fee_calculator })):
    // u32 version, u32 state (1 = initialized), 32-byte authority, then the 32-byte durable nonce.
    if (!nonce || nonce.owner !== SYSTEM_PROGRAM || nonce.data.length < 80 || nonce.data[4] !== 1) return false;
    return encodeBase58(nonce.data.subarray(40, 72)) === wire.recentBlockhash;
  }

  /**
   * Runs a transaction without committing it. `sigVerify` false (the RPC's default) lets unsigned
   * transactions through; the blockhash is not checked here (the caller decides, as with replaceRecentBlockhash).
   */
  simulate(wire: WireTransaction, sigVerify: boolean): SimulationResult {
    const keys = loadedAccounts(wire.message, (a) => this.account(a)?.data ?? null);
    this.clock.prepare();
    this.svm.withSigverify(sigVerify);
    let result;
    try {
      result = this.svm.simulateTransaction(this.decoder.decode(wire.raw));
    } catch {
      const e = namedTxError("SignatureFailure");
      return { err: e.json, errText: e.text, logs: [], unitsConsumed: 0n, returnData: null, postAccounts: new Map(), innerInstructions: [], accountKeys: keys?.keys ?? [] };
    } finally {
      this.svm.withSigverify(true);
    }
    if (result instanceof FailedTransactionMetadata) {
      const e = describeTxError(result.err());
      const meta = result.meta();
      return {
        err: e.json,
        errText: e.text,
        logs: meta.logs(),
        unitsConsumed: meta.computeUnitsConsumed(),
        returnData: returnDataOf(meta),
        postAccounts: new Map(),
        innerInstructions: innerInstructionsOf(meta),
        accountKeys: keys?.keys ?? [],
      };
    }
    const meta = result.meta();
    const postAccounts = new Map<string, AccountState>();
    for (const a of result.postAccounts()) {
      postAccounts.set(a.address, { lamports: a.lamports, data: view(a.data), owner: a.programAddress, executable: a.executable });
    }
    return {
      err: null,
      errText: null,
      logs: meta.logs(),
      unitsConsumed: meta.computeUnitsConsumed(),
      returnData: returnDataOf(meta),
      postAccounts,
      innerInstructions: innerInstructionsOf(meta),
      accountKeys: keys?.keys ?? [],
    };
  }

  /**
   * Sends `lamports` from the faucet to `to` in a real transfer transaction; returns its outcome. Two equal
   * requests in one slot would be the same transaction (a duplicate), so a repeated one carries a memo
   * that tells it apart.
   */
  airdrop(to: PublicKey, lamports: bigint): ExecuteOutcome {
    const build = (memo: string | null): WireTransaction => {
      const instructions = [SystemProgram.transfer({ fromPubkey: this.faucet.publicKey, toPubkey: to, lamports })];
      if (memo !== null) instructions.push(new TransactionInstruction({ programId: MEMO_PROGRAM, keys: [], data: Buffer.from(memo, "utf8") }));
      const message = new TransactionMessage({ payerKey: this.faucet.publicKey, recentBlockhash: this.clock.latestBlockhash.blockhash, instructions }).compileToLegacyMessage();
      const tx = new VersionedTransaction(message);
      tx.sign([this.faucet]);
      return parseWire(tx.serialize());
    };
    let wire = build(null);
    if (this.history.has(wire.signature)) wire = build(`airdrop ${this.history.size}`);
    return this.execute(wire);
  }

  /**
   * Loads an SBF program directly at `programId` (as solana-test-validator's --bpf-program), journaled.
   * Returns false (and changes nothing) when the program there already holds exactly `elf`.
   */
  loadProgram(programId: string, elf: Uint8Array): boolean {
    if (this.programHolds(programId, elf)) return false;
    this.svm.addProgram(programId as Address, elf);
    this.journal?.({ kind: "program", slot: this.clock.slot, unixTimestamp: this.clock.unixTimestamp, programId, elf });
    return true;
  }

  /** Whether the upgradeable program at `programId` holds exactly `elf` (then zero padding). */
  private programHolds(programId: string, elf: Uint8Array): boolean {
    const program = this.account(programId);
    // UpgradeableLoaderState::Program: u32 tag 2, then the ProgramData address.
    if (!program || program.owner !== UPGRADEABLE_LOADER || program.data.length < 36 || program.data[0] !== 2) return false;
    const data = this.account(encodeBase58(program.data.subarray(4, 36)));
    // UpgradeableLoaderState::ProgramData: a 45-byte header, then the code.
    if (!data || data.data.length < 45 + elf.length) return false;
    const code = data.data.subarray(45);
    if (Buffer.compare(Buffer.from(code.subarray(0, elf.length)), Buffer.from(elf)) !== 0) return false;
    return code.subarray(elf.length).every((b) => b === 0);
  }

  // ---- replay ----------------------------------------------------------------------------------

  /**
   * Redoes journaled entries in order with the clock each one saw (no signature checks: they were checked
   * when first accepted); nothing is journaled or announced. Returns how many transactions ended
   * differently than recorded (0 unless the runtime changed).
   */
  replay(entries: Iterable<JournalEntry>): { transactions: number; programs: number; diverged: number } {
    const journal = this.journal;
    this.journal = undefined;
    let transactions = 0;
    let programs = 0;
    let diverged = 0;
    try {
      for (const entry of entries) {
        if (entry.slot > this.clock.slot) this.clock.setSlot(entry.slot, entry.unixTimestamp);
        else if (entry.unixTimestamp > this.clock.unixTimestamp) this.clock.setSlot(this.clock.slot, entry.unixTimestamp);
        if (entry.kind === "program") {
          this.svm.addProgram(entry.programId as Address, entry.elf);
          programs++;
          continue;
        }
        transactions++;
        if (entry.runtimeBlockhashes === undefined) this.clock.prepare();
        else this.clock.catchUpRuntimeBlockhash(entry.runtimeBlockhashes);
        let outcome: ExecuteOutcome;
        try {
          outcome = this.run(parseWire(entry.raw), this.clock.slot, this.clock.unixTimestamp, true);
        } catch {
          diverged++;
          continue;
        }
        const err = outcome.landed ? outcome.record.err : outcome.err.json;
        if (!outcome.landed || JSON.stringify(err) !== JSON.stringify(entry.err)) diverged++;
      }
    } finally {
      this.journal = journal;
    }
    return { transactions, programs, diverged };
  }

  /** Continues from `slot` (at least the current one) with the clock at wall time: the chain's head after a restart. */
  resumeAt(slot: bigint): void {
    const next = slot > this.clock.slot ? slot : this.clock.slot;
    this.clock.setSlot(next, this.clock.wallSeconds());
    this.clock.anchor(next);
  }

  // ---- execution -------------------------------------------------------------------------------

  private run(wire: WireTransaction, slot: bigint, unixTimestamp: bigint, replaying: boolean): ExecuteOutcome {
    const resolved = loadedAccounts(wire.message, (a) => this.account(a)?.data ?? null);
    // Lookup tables that cannot be read make the runtime refuse the transaction; should it run anyway (a
    // table layout this reader does not know), it is still recorded, with the static keys only.
    const keys = resolved ?? staticAccounts(wire);
    const pre = keys.keys.map((k) => this.account(k));
    // A replay has set the runtime's blockhash from the journal already.
    this.clock.prepare(!replaying);
    if (replaying) this.svm.withSigverify(false);
    let result: TransactionMetadata | FailedTransactionMetadata;
    try {
      result = this.svm.sendTransaction(this.decoder.decode(wire.raw));
    } catch {
      // litesvm's wrapper refuses a transaction with a missing signature before the runtime sees it.
      return { landed: false, reason: "signature", err: namedTxError("SignatureFailure"), logs: [] };
    } finally {
      if (replaying) this.svm.withSigverify(true);
    }
    const failure = result instanceof FailedTransactionMetadata ? result.err() : null;
    const meta = result instanceof FailedTransactionMetadata ? result.meta() : result;
    if (failure !== null && (!landsWhenFailed(failure) || !resolved)) {
      const err = describeTxError(failure);
      const reason = err.json === "SignatureFailure" ? "signature" : err.json === "AlreadyProcessed" ? "duplicate" : "failed";
      return { landed: false, reason, err, logs: meta.logs() };
    }
    const post = keys.keys.map((k) => this.account(k));
    const record: TxRecord = {
      signature: wire.signature,
      wire,
      version: wire.version,
      slot,
      blockTime: Number(unixTimestamp),
      sequence: this.history.size,
      err: failure !== null ? describeTxError(failure).json : null,
      fee: messageFee(wire.message),
      accountKeys: keys.keys,
      writable: keys.writable,
      signer: keys.signer,
      fromLookup: keys.fromLookup,
      loadedAddresses: keys.loaded,
      preBalances: pre.map((a) => a?.lamports ?? 0n),
      postBalances: post.map((a) => a?.lamports ?? 0n),
      preTokenBalances: this.tokenBalances(pre),
      postTokenBalances: this.tokenBalances(post),
      logs: meta.logs(),
      innerInstructions: innerInstructionsOf(meta),
      computeUnitsConsumed: meta.computeUnitsConsumed(),
      returnData: returnDataOf(meta),
      memo: memoOf(wire.message),
    };
    this.history.add(record);
    if (replaying) return { landed: true, record };
    this.journal?.({ kind: "transaction", slot, unixTimestamp, raw: wire.raw, err: record.err, runtimeBlockhashes: this.clock.runtimeBlockhashes });
    const touched = new Map<string, AccountState | null>();
    keys.keys.forEach((k, i) => {
      if (keys.writable[i]) touched.set(k, post[i]);
    });
    for (const l of this.listeners) l.transaction?.(record, touched);
    return { landed: true, record };
  }

  private tokenBalances(accounts: (AccountState | null)[]): TokenBalance[] {
    const out: TokenBalance[] = [];
    accounts.forEach((account, accountIndex) => {
      if (!account || !TOKEN_PROGRAMS.has(account.owner)) return;
      const token = readTokenAccount(account);
      if (!token) return;
      const decimals = this.mintDecimals(token.mint);
      if (decimals === null) return;
      out.push({ accountIndex, mint: token.mint, owner: token.owner, programId: account.owner, uiTokenAmount: uiTokenAmount(token.amount, decimals) });
    });
    return out;
  }
}

/** The static keys of a transaction as its loaded accounts (no lookup-table addresses). */
function staticAccounts(wire: WireTransaction): LoadedAccounts {
  const keys = wire.message.staticAccountKeys.map((k) => k.toBase58());
  return {
    keys,
    writable: keys.map((_, i) => wire.message.isAccountWritable(i)),
    signer: keys.map((_, i) => i < wire.message.header.numRequiredSignatures),
    loaded: { writable: [], readonly: [] },
    fromLookup: keys.map(() => false),
  };
}

/** A Uint8Array view of kit's read-only bytes (no copy; nothing here writes to account data). */
function view(bytes: ReadonlyUint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function innerInstructionsOf(meta: TransactionMetadata): { index: number; instructions: InnerInstructionRecord[] }[] {
  const out: { index: number; instructions: InnerInstructionRecord[] }[] = [];
  meta.innerInstructions().forEach((list, index) => {
    if (list.length === 0) return;
    out.push({
      index,
      instructions: list.map((inner) => {
        const ix = inner.instruction();
        return { programIdIndex: ix.programIdIndex(), accounts: Array.from(ix.accounts()), data: ix.data(), stackHeight: inner.stackHeight() };
      }),
    });
  });
  return out;
}

function returnDataOf(meta: TransactionMetadata): { programId: string; data: Uint8Array } | null {
  const rd = meta.returnData();
  const data = rd.data();
  return data.length > 0 ? { programId: encodeBase58(rd.programId()), data } : null;
}
