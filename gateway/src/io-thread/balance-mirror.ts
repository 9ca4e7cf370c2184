// The request thread's copy of the I/O thread's ChainBalanceSource: every team state the worker reads is
// pushed here (in order, on one port), so the gate's peek stays a synchronous Map lookup. follow() and
// refresh() are calls to the worker, which keeps the retry rule, the subscriptions and the polls.
import type { TeamChainState } from "../balance/source";
import type { RuntimeBalances } from "../runtime";
import { errorFromWire, type RpcCaller } from "./rpc";
import type { IoThreadStatus } from "./settings";

export class BalanceMirror implements RuntimeBalances {
  private readonly states = new Map<string, TeamChainState | null>();
  private readonly followed = new Set<string>();
  private readonly following = new Map<string, Promise<TeamChainState | null>>();
  lastError: unknown = null;
  polls = 0;
  lastPollMs = 0;
  pollStartedAt: number | null = null;

  constructor(private readonly rpc: RpcCaller) {}

  /** A state the worker read (pushed event). */
  applyState(team: string, state: TeamChainState | null): void {
    this.states.set(team, state);
  }

  applyStatus(s: IoThreadStatus["balances"]): void {
    this.lastError = s.lastError === null ? null : errorFromWire(s.lastError);
    this.polls = s.polls;
    this.lastPollMs = s.lastPollMs;
    this.pollStartedAt = s.pollStartedAt;
  }

  /** As ChainBalanceSource.peek: only followed teams; null when the account does not exist. */
  peek(team: string): TeamChainState | null | undefined {
    return this.followed.has(team) ? this.states.get(team) : undefined;
  }

  /** One call to the worker per team at a time, however many requests wait for it. */
  follow(team: string): Promise<TeamChainState | null> {
    const inFlight = this.following.get(team);
    if (inFlight !== undefined) return inFlight;
    const p = this.rpc
      .call<TeamChainState | null>("balances.follow", team)
      .then((state) => {
        // After a failed first read the worker polls the team anyway; the mirror shows it once a read succeeds
        // here (until then the gate's next request asks again, within the worker's retry rule).
        this.followed.add(team);
        this.states.set(team, state);
        return state;
      })
      .finally(() => this.following.delete(team));
    this.following.set(team, p);
    return p;
  }

  /** The worker was lost: its health is unknown until the next one reports; states age meanwhile. */
  lost(err: unknown): void {
    this.lastError = err;
    this.pollStartedAt = null;
  }

  /** Follows every followed team again (a new worker knows none of them): the states are read afresh. */
  async refollow(): Promise<void> {
    await Promise.all(this.teams().map((team) => this.follow(team).catch(() => undefined)));
  }

  refresh(teams?: readonly string[]): Promise<void> {
    return this.rpc.call("balances.refresh", teams === undefined ? undefined : [...teams]);
  }

  teams(): string[] {
    return [...this.followed];
  }
}
