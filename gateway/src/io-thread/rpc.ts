// Calls between the request thread and the gateway's I/O thread (io-thread/worker.ts): request → reply by
// id, plus events the worker pushes (balance states, status). Values cross by structured clone (bigints,
// Maps and typed arrays included); errors cross as WireError and come back with what callers read from
// them: a ledger refusal as a ConvexError with its data (ledgerErrorOf), a program error with its code,
// message or logs (programErrorOf), any other error with its message and `code`.
import { ConvexError, type Value } from "convex/values";

/** What crosses the thread boundary of an error. */
export interface WireError {
  name: string;
  message: string;
  /** An Error's own `code` (a ledger or Node code, or a program error number with `msg`). */
  code?: string | number;
  msg?: string;
  /** Transaction logs of a failed send (web3.js SendTransactionError, litesvm failures). */
  logs?: string[];
  /** An AnchorError's error number. */
  anchorErrorNumber?: number;
  /** A ConvexError's data: revived as a ConvexError. */
  convexData?: unknown;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null;

export function errorToWire(err: unknown): WireError {
  if (!isRec(err)) return { name: "Error", message: String(err) };
  const out: WireError = { name: typeof err.name === "string" ? err.name : "Error", message: typeof err.message === "string" ? err.message : String(err) };
  if (typeof err.code === "string" || typeof err.code === "number") out.code = err.code;
  if (typeof err.msg === "string") out.msg = err.msg;
  // SendTransactionError keeps its logs behind a getter: read it, never copy the object.
  const logs = err.logs;
  if (Array.isArray(logs) && logs.every((l) => typeof l === "string")) out.logs = [...(logs as string[])];
  const anchor = err.error;
  if (isRec(anchor) && isRec(anchor.errorCode) && typeof anchor.errorCode.number === "number") out.anchorErrorNumber = anchor.errorCode.number;
  if (err instanceof ConvexError) out.convexData = err.data as unknown;
  return out;
}

export function errorFromWire(w: WireError): Error {
  if (w.convexData !== undefined) return new ConvexError(w.convexData as Value);
  const err = new Error(w.message) as Error & Rec;
  err.name = w.name;
  if (w.code !== undefined) err.code = w.code;
  if (w.msg !== undefined) err.msg = w.msg;
  if (w.logs !== undefined) err.logs = w.logs;
  if (w.anchorErrorNumber !== undefined) err.error = { errorCode: { number: w.anchorErrorNumber } };
  return err;
}

/** The port either side talks through (a Worker on the request thread, parentPort in the worker). */
export interface RpcPort {
  postMessage(value: unknown): void;
  on(event: "message", listener: (value: unknown) => void): unknown;
}

interface Request {
  id: number;
  method: string;
  args: unknown;
}
interface Reply {
  id: number;
  value?: unknown;
  error?: WireError;
}
interface Event {
  event: string;
  data: unknown;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

/** What makes calls to the I/O thread (an RpcClient, or the link that follows a restarted worker). */
export interface RpcCaller {
  call<T>(method: string, args?: unknown): Promise<T>;
}

/** The calling side: one outstanding promise per request id; everything outstanding fails when the port is lost. */
export class RpcClient implements RpcCaller {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private lostWith: Error | null = null;

  constructor(
    private readonly port: RpcPort,
    onEvent: (event: string, data: unknown) => void,
  ) {
    port.on("message", (m) => {
      const msg = m as Reply & Partial<Event>;
      if (typeof msg.event === "string") {
        onEvent(msg.event, msg.data);
        return;
      }
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if (msg.error === undefined) p.resolve(msg.value);
      else p.reject(errorFromWire(msg.error));
    });
  }

  call<T>(method: string, args?: unknown): Promise<T> {
    if (this.lostWith !== null) return Promise.reject(this.lostWith);
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ id, method, args } satisfies Request);
    });
  }

  /** The other side is gone: what waits is refused, and so is every later call. */
  lost(err: Error): void {
    this.lostWith ??= err;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
  }
}

export type Handlers = Record<string, (args: never) => unknown>;

/** The serving side: runs each request's handler and replies with its value or its error. */
export function serveRpc(port: RpcPort, handlers: Handlers): { emit(event: string, data: unknown): void } {
  port.on("message", (m) => {
    const { id, method, args } = m as Request;
    const handler = handlers[method];
    const run = handler === undefined ? Promise.reject(new Error(`io thread: no method ${method}`)) : Promise.resolve().then(() => handler(args as never));
    run.then(
      (value) => port.postMessage({ id, value } satisfies Reply),
      (err: unknown) => port.postMessage({ id, error: errorToWire(err) } satisfies Reply),
    );
  });
  return { emit: (event, data) => port.postMessage({ event, data } satisfies Event) };
}
