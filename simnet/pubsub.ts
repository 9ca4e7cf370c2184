// The PubSub WebSocket (solana-validator's port 8900): accountSubscribe, programSubscribe, logsSubscribe,
// signatureSubscribe, slotSubscribe, rootSubscribe and their unsubscribes, with notifications in the
// validator's shapes, which web3.js's Connection.onAccountChange/onProgramAccountChange/onLogs/onSignature/
// onSlotChange consume. Every landed transaction is final at once here, so commitment levels are accepted
// and all notify at the same moment.
import type { WebSocket } from "ws";
import { accountEncodingOf, dataSliceOf, encodeAccount, type AccountEncoding, type AccountState, type DataSlice } from "./accounts";
import type { Chain, SlotEvent } from "./chain";
import { RpcError, RpcErrorCode, invalidParams } from "./errors";
import { filtersOf, type AccountFilter } from "./filters";
import type { TxRecord } from "./history";
import { stringifyJson } from "./json";
import { NOT_FOUND, handleJsonRpc, type InternalErrorReporter } from "./jsonrpc";
import { configAt, pubkeyAt, signatureOf } from "./params";

/** A socket whose unsent notifications exceed this many bytes is closed (a client that stopped reading). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const SYSTEM_PROGRAM = "11111111111111111111111111111111";
/** Finished signature subscriptions remembered for a late unsubscribe. */
const MAX_FINISHED_SIGNATURES = 10_000;

type Subscription =
  | { kind: "account"; id: number; socket: WebSocket; address: string; encoding: AccountEncoding; slice: DataSlice | undefined }
  | { kind: "program"; id: number; socket: WebSocket; program: string; encoding: AccountEncoding; slice: DataSlice | undefined; filters: AccountFilter[] }
  | { kind: "logs"; id: number; socket: WebSocket; mentions: string | null }
  | { kind: "signature"; id: number; socket: WebSocket; signature: string }
  | { kind: "slot"; id: number; socket: WebSocket }
  | { kind: "root"; id: number; socket: WebSocket };

type Kind = Subscription["kind"];
/** A subscription before it has an id (Omit over each member of the union). */
type NewSubscription = Subscription extends infer S ? (S extends Subscription ? Omit<S, "id"> : never) : never;

const UNSUBSCRIBE: Record<string, Kind> = {
  accountUnsubscribe: "account",
  programUnsubscribe: "program",
  logsUnsubscribe: "logs",
  signatureUnsubscribe: "signature",
  slotUnsubscribe: "slot",
  rootUnsubscribe: "root",
};

/** What a closed account looks like in a notification: no lamports, no data, owned by the system program. */
const CLOSED_ACCOUNT: AccountState = { lamports: 0n, data: new Uint8Array(0), owner: SYSTEM_PROGRAM, executable: false };

export class PubSub {
  private nextId = 0;
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly bySocket = new Map<WebSocket, Set<number>>();
  /**
   * Signature subscriptions that ended with their notification, by id. A client may ask to unsubscribe
   * one before it has read that notification (web3.js does when it learned the status over HTTP first);
   * that is answered `true` rather than with an error it would retry on.
   */
  private readonly finishedSignatures = new Map<number, WebSocket>();
  private readonly unsubscribeChain: () => void;

  constructor(
    private readonly chain: Chain,
    private readonly report: InternalErrorReporter,
  ) {
    this.unsubscribeChain = chain.subscribe({
      slot: (event) => this.onSlot(event),
      transaction: (record, accounts) => this.onTransaction(record, accounts),
    });
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Serves one WebSocket connection until it closes. */
  attach(socket: WebSocket): void {
    this.bySocket.set(socket, new Set());
    socket.on("message", (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString("utf8") : data.toString();
      const response = handleJsonRpc(text, (method, params) => this.dispatch(socket, method, params), this.report);
      if (response !== null) this.send(socket, response);
    });
    socket.on("close", () => this.detach(socket));
    socket.on("error", () => this.detach(socket));
  }

  close(): void {
    this.unsubscribeChain();
    this.subscriptions.clear();
    this.bySocket.clear();
  }

  private detach(socket: WebSocket): void {
    for (const id of this.bySocket.get(socket) ?? []) this.subscriptions.delete(id);
    this.bySocket.delete(socket);
    for (const [id, owner] of this.finishedSignatures) if (owner === socket) this.finishedSignatures.delete(id);
  }

  private send(socket: WebSocket, text: string): void {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.close(1008, "notifications not read");
      return;
    }
    socket.send(text);
  }

  private notify(sub: Subscription, method: string, result: unknown): void {
    this.send(sub.socket, stringifyJson({ jsonrpc: "2.0", method, params: { result, subscription: sub.id } }));
  }

  private add(sub: NewSubscription): number {
    const id = this.nextId++;
    const full = { ...sub, id } as Subscription;
    this.subscriptions.set(id, full);
    this.bySocket.get(sub.socket)?.add(id);
    return id;
  }

  private remove(id: number): void {
    const sub = this.subscriptions.get(id);
    if (!sub) return;
    this.subscriptions.delete(id);
    this.bySocket.get(sub.socket)?.delete(id);
  }

  private dispatch(socket: WebSocket, method: string, params: unknown[]): unknown {
    const unsubscribeKind = UNSUBSCRIBE[method];
    if (unsubscribeKind) {
      const id = params[0];
      if (unsubscribeKind === "signature" && typeof id === "number" && this.finishedSignatures.get(id) === socket) {
        this.finishedSignatures.delete(id);
        return true;
      }
      const sub = typeof id === "number" ? this.subscriptions.get(id) : undefined;
      if (!sub || sub.kind !== unsubscribeKind || sub.socket !== socket) throw new RpcError(RpcErrorCode.InvalidParams, "Invalid subscription id.");
      this.remove(sub.id);
      return true;
    }
    switch (method) {
      case "accountSubscribe": {
        const address = pubkeyAt(params, 0);
        const config = configAt(params, 1);
        return this.add({ kind: "account", socket, address, encoding: accountEncodingOf(config.encoding, "base64"), slice: dataSliceOf(config.dataSlice) });
      }
      case "programSubscribe": {
        const program = pubkeyAt(params, 0);
        const config = configAt(params, 1);
        return this.add({
          kind: "program",
          socket,
          program,
          encoding: accountEncodingOf(config.encoding, "base64"),
          slice: dataSliceOf(config.dataSlice),
          filters: filtersOf(config.filters),
        });
      }
      case "logsSubscribe": {
        configAt(params, 1);
        const filter = params[0];
        let mentions: string | null = null;
        if (filter === "all" || filter === "allWithVotes") mentions = null;
        else if (typeof filter === "object" && filter !== null && Array.isArray((filter as { mentions?: unknown }).mentions)) {
          const list = (filter as { mentions: unknown[] }).mentions;
          if (list.length !== 1) throw invalidParams("Invalid Request: Only 1 address supported");
          mentions = pubkeyAt(list, 0);
        } else throw invalidParams('Invalid params: logs filter must be "all", "allWithVotes" or { mentions: [address] }');
        return this.add({ kind: "logs", socket, mentions });
      }
      case "signatureSubscribe": {
        const signature = signatureOf(params[0]);
        configAt(params, 1);
        const id = this.add({ kind: "signature", socket, signature });
        const record = this.chain.history.get(signature);
        // Already landed: notify right after the subscription id has been answered.
        if (record) setImmediate(() => this.notifySignature(id, record));
        return id;
      }
      case "slotSubscribe":
        return this.add({ kind: "slot", socket });
      case "rootSubscribe":
        return this.add({ kind: "root", socket });
      default:
        return NOT_FOUND;
    }
  }

  private notifySignature(id: number, record: TxRecord): void {
    const sub = this.subscriptions.get(id);
    if (!sub) return;
    // A signature subscription ends with its notification, as on the validator.
    this.remove(id);
    this.finishedSignatures.set(id, sub.socket);
    if (this.finishedSignatures.size > MAX_FINISHED_SIGNATURES) {
      const oldest = this.finishedSignatures.keys().next().value;
      if (oldest !== undefined) this.finishedSignatures.delete(oldest);
    }
    this.notify(sub, "signatureNotification", { context: { slot: record.slot }, value: { err: record.err } });
  }

  private onSlot(event: SlotEvent): void {
    for (const sub of this.subscriptions.values()) {
      if (sub.kind === "slot") this.notify(sub, "slotNotification", { parent: event.parent, root: event.root, slot: event.slot });
      else if (sub.kind === "root") this.notify(sub, "rootNotification", event.root);
    }
  }

  private onTransaction(record: TxRecord, accounts: ReadonlyMap<string, AccountState | null>): void {
    const decimalsOf = (mint: string) => this.chain.mintDecimals(mint);
    const context = { slot: record.slot };
    const keys = new Set(record.accountKeys);
    for (const sub of [...this.subscriptions.values()]) {
      try {
        switch (sub.kind) {
          case "signature":
            if (sub.signature === record.signature) this.notifySignature(sub.id, record);
            break;
          case "logs":
            if (sub.mentions === null || keys.has(sub.mentions)) {
              this.notify(sub, "logsNotification", { context, value: { signature: record.signature, err: record.err, logs: record.logs } });
            }
            break;
          case "account":
            if (accounts.has(sub.address)) {
              const account = accounts.get(sub.address) ?? CLOSED_ACCOUNT;
              this.notify(sub, "accountNotification", { context, value: encodeAccount(account, sub.encoding, sub.slice, decimalsOf) });
            }
            break;
          case "program":
            for (const [address, account] of accounts) {
              if (account && account.owner === sub.program && sub.filters.every((f) => f(account))) {
                this.notify(sub, "programNotification", { context, value: { pubkey: address, account: encodeAccount(account, sub.encoding, sub.slice, decimalsOf) } });
              }
            }
            break;
          default:
            break;
        }
      } catch (e) {
        // One subscription's encoding failure (e.g. base58 of a large account) must not stop the others.
        this.report(`${sub.kind}Notification`, e);
      }
    }
  }
}
