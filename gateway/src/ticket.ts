// A ticket: the reservation of one admitted request, ended exactly once — commit() when the request is
// served (its usage entry appended to the log before the response goes out), release() when it is not.
import type { ResolvedGateOptions } from "./options";
import type { UsageEntry } from "./usage/sink";
import type { GateStats } from "./gate";

/** A sink's failure as a non-null reason (null means success to Ticket.appended). */
function sinkFailure(err: unknown): unknown {
  return err ?? new Error("usage sink failed");
}

/** Raised for misuse of a ticket (a bug in the caller, not a normal "no"). */
export class TicketStateError extends Error {}

/** The usage log refused the entry: the response must not be sent (respond 503 usage_log_unavailable). */
export class UsageLogUnavailableError extends Error {
  readonly code = "usage_log_unavailable";
  constructor(readonly reason: unknown) {
    super(`usage log unavailable: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/**
 * Whether `err` is a UsageLogUnavailableError, also one made by another copy of this module: a Next.js app
 * may bundle the gateway twice (its instrumentation and its routes), and the gate that threw may come from
 * the copy the adapter does not. Decided by the error's stable code.
 */
export function isUsageLogUnavailable(err: unknown): err is UsageLogUnavailableError {
  return err instanceof UsageLogUnavailableError || (err instanceof Error && (err as { code?: unknown }).code === "usage_log_unavailable");
}

/** An admitted request's reservation. Exactly one of commit() (served) or release() (not served) ends it. */
export class Ticket {
  private state: "open" | "committing" | "committed" | "released" = "open";

  constructor(
    private readonly gate: GateCore,
    readonly entry: UsageEntry,
  ) {}

  /**
   * The request is being served: append its usage entry to the log. Resolves once durable; the response
   * must be sent only after. On failure the reservation is released and UsageLogUnavailableError thrown.
   */
  commit(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.commitThen((err) => (err === null ? resolve() : reject(err))));
  }

  /**
   * commit() with a callback, for the request path: `done(null)` once the entry is durable, or
   * `done(UsageLogUnavailableError)` after releasing the reservation. Throws TicketStateError when the
   * ticket is not open.
   */
  commitThen(done: (err: UsageLogUnavailableError | null) => void): void {
    if (this.state !== "open") throw new TicketStateError(`ticket ${this.entry.requestId} is ${this.state}`);
    this.state = "committing";
    const usage = this.gate.usage;
    // Inline callbacks rather than a named closure: under tsx a named closure costs a defineProperty per call.
    if (usage.appendThen !== undefined) return usage.appendThen(this.entry, (err) => this.appended(err, done));
    let appended: Promise<void>;
    try {
      appended = usage.append(this.entry);
    } catch (err) {
      return this.appended(sinkFailure(err), done);
    }
    appended.then(
      () => this.appended(null, done),
      (err: unknown) => this.appended(sinkFailure(err), done),
    );
  }

  /** Ends the commit: `err` null when the entry is durable. */
  private appended(err: unknown, done: (err: UsageLogUnavailableError | null) => void): void {
    if (err === null) {
      this.state = "committed";
      this.gate.stats.committed += 1;
      return done(null);
    }
    this.state = "open";
    this.release();
    done(new UsageLogUnavailableError(err));
  }

  /** The request was not served (handler failed): give the reservation back. No-op once committed or released. */
  release(): void {
    if (this.state !== "open") return;
    this.state = "released";
    this.gate.stats.released += 1;
    this.gate.releaseEntry(this.entry);
  }

  get status(): "open" | "committing" | "committed" | "released" {
    return this.state;
  }
}

/** What a ticket needs of its gate. */
export interface GateCore {
  readonly usage: ResolvedGateOptions["usage"];
  readonly stats: GateStats;
  releaseEntry(entry: UsageEntry): void;
}
