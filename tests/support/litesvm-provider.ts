// An anchor Provider over litesvm: the real SVM (the validator's runtime, bundled SPL programs) in process,
// with no validator and no network. Programs, the SDK and anchor's Program talk to it exactly as they talk
// to a cluster: `connection` answers the RPC reads they use, `sendAndConfirm`/`send`/`sendAll` execute
// transactions, `simulate` returns logs and compute units, and a failure throws web3.js
// SendTransactionError carrying the logs (so anchor's AnchorError.parse / translateError work).
import { Wallet, type Provider } from "@coral-xyz/anchor";
import { getBase58Decoder, getTransactionDecoder, type Address } from "@solana/kit";
import {
  AddressLookupTableAccount,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SendTransactionError,
  Transaction,
  VersionedTransaction,
  type AccountInfo,
  type BlockhashWithExpiryBlockHeight,
  type Commitment,
  type ConfirmOptions,
  type Connection,
  type Context,
  type RpcResponseAndContext,
  type SendOptions,
  type Signer,
} from "@solana/web3.js";
import { FailedTransactionMetadata, LiteSVM, type TransactionMetadata } from "litesvm";
import { customErrorCode, describeTransactionError } from "./litesvm-errors";

/** What the last executed (or failed) transaction did. */
export interface TransactionRecord {
  signature: string;
  /** Program log lines ("Program … invoke [1]", "Program log: …", "Program data: …"). */
  logs: string[];
  /** Compute units the whole transaction consumed. */
  computeUnits: number;
  /** null on success; the failure in solana-validator's words otherwise. */
  error: string | null;
  /** The custom program error code when the transaction failed with one. */
  customErrorCode: number | null;
}

type AnyTransaction = Transaction | VersionedTransaction;
type SimulationResponse = Awaited<ReturnType<NonNullable<Provider["simulate"]>>>;

function toAddress(key: PublicKey): Address {
  return key.toBase58() as Address;
}

function isVersioned(tx: AnyTransaction): tx is VersionedTransaction {
  return "version" in tx;
}

/**
 * The subset of web3.js `Connection` that anchor, @solana/spl-token helpers and the SDK call, answered from
 * litesvm. Reads have no commitment levels here (one state), so `commitment` arguments are accepted and
 * ignored; the slot is litesvm's clock slot.
 */
export class LiteSvmConnection {
  readonly commitment: Commitment = "confirmed";
  readonly rpcEndpoint = "litesvm://in-process";

  constructor(
    private readonly svm: LiteSVM,
    private readonly execute: (tx: AnyTransaction) => string,
  ) {}

  private context(): Context {
    return { slot: Number(this.svm.getClock().slot) };
  }

  async getAccountInfo(key: PublicKey, _commitment?: unknown): Promise<AccountInfo<Buffer> | null> {
    const account = this.svm.getAccount(toAddress(key));
    if (!account.exists) return null;
    return {
      data: Buffer.from(account.data),
      executable: account.executable,
      lamports: Number(account.lamports),
      owner: new PublicKey(account.programAddress),
      rentEpoch: 0,
    };
  }

  async getAccountInfoAndContext(key: PublicKey, commitment?: unknown): Promise<RpcResponseAndContext<AccountInfo<Buffer> | null>> {
    return { context: this.context(), value: await this.getAccountInfo(key, commitment) };
  }

  async getMultipleAccountsInfo(keys: PublicKey[], _commitment?: unknown): Promise<(AccountInfo<Buffer> | null)[]> {
    return Promise.all(keys.map((k) => this.getAccountInfo(k)));
  }

  async getMultipleAccountsInfoAndContext(keys: PublicKey[], commitment?: unknown): Promise<RpcResponseAndContext<(AccountInfo<Buffer> | null)[]>> {
    return { context: this.context(), value: await this.getMultipleAccountsInfo(keys, commitment) };
  }

  async getProgramAccounts(programId: PublicKey, _config?: unknown): Promise<{ pubkey: PublicKey; account: AccountInfo<Buffer> }[]> {
    return this.svm.getProgramAccounts(toAddress(programId)).map((a) => ({
      pubkey: new PublicKey(a.address),
      account: { data: Buffer.from(a.data), executable: a.executable, lamports: Number(a.lamports), owner: new PublicKey(a.programAddress), rentEpoch: 0 },
    }));
  }

  async getBalance(key: PublicKey, _commitment?: unknown): Promise<number> {
    return Number(this.svm.getBalance(toAddress(key)) ?? 0n);
  }

  async getMinimumBalanceForRentExemption(dataLength: number, _commitment?: unknown): Promise<number> {
    return Number(this.svm.minimumBalanceForRentExemption(BigInt(dataLength)));
  }

  async getLatestBlockhash(_commitment?: unknown): Promise<BlockhashWithExpiryBlockHeight> {
    return { blockhash: this.svm.latestBlockhash(), lastValidBlockHeight: Number(this.svm.getClock().slot) + 150 };
  }

  async getLatestBlockhashAndContext(commitment?: unknown): Promise<RpcResponseAndContext<BlockhashWithExpiryBlockHeight>> {
    return { context: this.context(), value: await this.getLatestBlockhash(commitment) };
  }

  async getSlot(_commitment?: unknown): Promise<number> {
    return this.context().slot;
  }

  async getAddressLookupTable(key: PublicKey): Promise<RpcResponseAndContext<AddressLookupTableAccount | null>> {
    const info = await this.getAccountInfo(key);
    const value = info ? new AddressLookupTableAccount({ key, state: AddressLookupTableAccount.deserialize(info.data) }) : null;
    return { context: this.context(), value };
  }

  /**
   * A transaction from litesvm's history in the shape of `Connection.getTransaction` (meta only: logs,
   * compute units, error), or null when unknown.
   */
  async getTransaction(signature: string, _config?: unknown) {
    const found = this.svm.getTransaction(signature as Parameters<LiteSVM["getTransaction"]>[0]);
    if (!found) return null;
    const failed = found instanceof FailedTransactionMetadata;
    const meta = failed ? found.meta() : found;
    return {
      slot: this.context().slot,
      meta: {
        err: failed ? describeTransactionError(found.err()) : null,
        logMessages: meta.logs(),
        computeUnitsConsumed: Number(meta.computeUnitsConsumed()),
      },
    };
  }

  /** Executes a signed, serialized transaction (legacy or v0) and returns its signature. */
  async sendRawTransaction(raw: Buffer | Uint8Array | number[], _options?: SendOptions): Promise<string> {
    const bytes = Uint8Array.from(raw);
    let tx: AnyTransaction;
    try {
      tx = VersionedTransaction.deserialize(bytes);
    } catch {
      tx = Transaction.from(bytes);
    }
    return this.execute(tx);
  }

  /** Transactions execute synchronously here, so anything that was sent is confirmed. */
  async confirmTransaction(_strategy: unknown, _commitment?: unknown): Promise<RpcResponseAndContext<{ err: null }>> {
    return { context: this.context(), value: { err: null } };
  }
}

export interface LiteSvmProviderOptions {
  /** The wallet paying fees and signing; default a fresh keypair funded with `walletLamports`. */
  payer?: Keypair;
  /** Lamports airdropped to a generated payer; default 1,000 SOL. */
  walletLamports?: bigint;
}

/**
 * anchor `Provider` over a litesvm instance. Every transaction gets the current blockhash (legacy) and the
 * blockhash is expired after each one, so two identical transactions are two transactions, as on a cluster.
 */
export class LiteSvmProvider implements Provider {
  readonly svm: LiteSVM;
  readonly wallet: Wallet;
  readonly publicKey: PublicKey;
  readonly connection: Connection;
  /** The litesvm-backed connection, with its extra typing. */
  readonly liteConnection: LiteSvmConnection;
  /** What the last transaction sent through this provider did (success or failure). */
  lastTransaction: TransactionRecord | null = null;

  constructor(svm: LiteSVM = new LiteSVM(), options: LiteSvmProviderOptions = {}) {
    this.svm = svm;
    const payer = options.payer ?? Keypair.generate();
    this.wallet = new Wallet(payer);
    this.publicKey = payer.publicKey;
    this.liteConnection = new LiteSvmConnection(svm, (tx) => this.execute(tx, "send"));
    // The shim implements the part of Connection the clients use; the cast is the price of not running an RPC server.
    this.connection = this.liteConnection as unknown as Connection;
    if (!options.payer || this.svm.getBalance(toAddress(payer.publicKey)) === null) {
      this.airdrop(payer.publicKey, options.walletLamports ?? 1_000n * BigInt(LAMPORTS_PER_SOL));
    }
  }

  /** The wallet's keypair (it pays fees and signs every transaction). */
  get payer(): Keypair {
    return this.wallet.payer;
  }

  /** Gives `key` lamports (litesvm's faucet). */
  airdrop(key: PublicKey, lamports: bigint): void {
    const result = this.svm.airdrop(toAddress(key), lamports as Parameters<LiteSVM["airdrop"]>[1]);
    if (result instanceof FailedTransactionMetadata) throw new Error(`airdrop failed: ${describeTransactionError(result.err())}`);
    this.svm.expireBlockhash();
  }

  /** Lamports held by `key` (0 when the account does not exist). */
  lamports(key: PublicKey): bigint {
    return this.svm.getBalance(toAddress(key)) ?? 0n;
  }

  /** Signs `tx` with the wallet (when it is a required signer) and `signers`, filling payer and blockhash. */
  private async sign(tx: AnyTransaction, signers: readonly Signer[]): Promise<void> {
    if (isVersioned(tx)) {
      const required = tx.message.staticAccountKeys.slice(0, tx.message.header.numRequiredSignatures);
      const own = [this.wallet.payer, ...signers].filter((s, i, all) => required.some((k) => k.equals(s.publicKey)) && all.findIndex((o) => o.publicKey.equals(s.publicKey)) === i);
      tx.sign(own);
      return;
    }
    tx.feePayer ??= this.publicKey;
    if (tx.signatures.every((s) => s.signature === null)) tx.recentBlockhash = this.svm.latestBlockhash();
    // One compile to learn the required signers and one partialSign for all of them: compiling and
    // signing in JS, not the SVM, is what a transaction costs here.
    const message = tx.compileMessage();
    const required = message.accountKeys.slice(0, message.header.numRequiredSignatures);
    const own = [this.wallet.payer, ...signers].filter(
      (s, i, all) => required.some((k) => k.equals(s.publicKey)) && all.findIndex((o) => o.publicKey.equals(s.publicKey)) === i,
    );
    if (own.length) tx.partialSign(...own);
  }

  /** Runs a signed transaction in the SVM; throws SendTransactionError (with logs) on failure. */
  private execute(tx: AnyTransaction, action: "send" | "simulate"): string {
    // The SVM verifies every signature itself (sigverify is on), so web3.js need not verify them again.
    const bytes = isVersioned(tx) ? tx.serialize() : tx.serialize({ requireAllSignatures: true, verifySignatures: false });
    const decoded = getTransactionDecoder().decode(bytes);
    const result = this.svm.sendTransaction(decoded);
    this.svm.expireBlockhash();
    return this.record(result, action === "send" ? "send" : "simulate");
  }

  private record(result: TransactionMetadata | FailedTransactionMetadata, action: "send" | "simulate"): string {
    const failed = result instanceof FailedTransactionMetadata;
    const meta = failed ? result.meta() : result;
    const signature = getBase58Decoder().decode(meta.signature());
    const error = failed ? describeTransactionError(result.err()) : null;
    this.lastTransaction = {
      signature,
      logs: meta.logs(),
      computeUnits: Number(meta.computeUnitsConsumed()),
      error,
      customErrorCode: failed ? customErrorCode(result.err()) : null,
    };
    if (error !== null) {
      throw new SendTransactionError({ action, signature, transactionMessage: error, logs: meta.logs() });
    }
    return signature;
  }

  async sendAndConfirm(tx: AnyTransaction, signers: Signer[] = [], _opts?: ConfirmOptions): Promise<string> {
    await this.sign(tx, signers);
    return this.execute(tx, "send");
  }

  async send(tx: AnyTransaction, signers: Signer[] = [], _opts?: SendOptions): Promise<string> {
    return this.sendAndConfirm(tx, signers);
  }

  async sendAll<T extends AnyTransaction>(txWithSigners: { tx: T; signers?: Signer[] }[], _opts?: ConfirmOptions): Promise<string[]> {
    const signatures: string[] = [];
    for (const { tx, signers } of txWithSigners) signatures.push(await this.sendAndConfirm(tx, signers ?? []));
    return signatures;
  }

  /**
   * Executes `tx` against the current state without committing it and returns its logs and compute units;
   * a failing simulation throws SendTransactionError (action "simulate") with the logs.
   */
  async simulate(tx: AnyTransaction, signers: Signer[] = [], _commitment?: Commitment, _includeAccounts?: boolean | PublicKey[]): Promise<SimulationResponse> {
    await this.sign(tx, signers);
    const bytes = isVersioned(tx) ? tx.serialize() : tx.serialize({ requireAllSignatures: true, verifySignatures: false });
    const result = this.svm.simulateTransaction(getTransactionDecoder().decode(bytes));
    if (result instanceof FailedTransactionMetadata) {
      const meta = result.meta();
      throw new SendTransactionError({ action: "simulate", signature: "", transactionMessage: describeTransactionError(result.err()), logs: meta.logs() });
    }
    const meta = result.meta();
    return { logs: meta.logs(), unitsConsumed: Number(meta.computeUnitsConsumed()), accounts: null, returnData: null };
  }
}
