// Where the gate learns a team's on-chain billing state. Production follows the chain (account
// subscription with a polling fallback, decoded by the SDK); tests use MemoryBalanceSource.
// Every amount is USDC base units (1 USDC = 1_000_000); times are unix seconds unless named *Ms.
import type { TierTerms } from "../../../sdk/src/constants";

/** The on-chain facts the gate needs about one team (TeamBillingAccount + its vault + BillingConfig). */
export interface TeamChainState {
  /** TeamBillingAccount address (base58). */
  readonly team: string;
  /** Vault token account address (base58). */
  readonly vault: string;
  /** USDC mint (base58). */
  readonly mint: string;
  /** Tier id (0 Startup, 1 Growth, 2 Enterprise). */
  readonly tier: number;
  /** Tier applied at the next period, 255 = none. */
  readonly pendingTier: number;
  /** 0 Active, 1 Suspended. */
  readonly status: number;
  /** Vault token balance. */
  readonly vaultBalance: bigint;
  readonly unpaidBaseFee: bigint;
  readonly unpaidOverage: bigint;
  /** Amount the owner asked to withdraw: no longer spendable from the moment it is seen. */
  readonly pendingWithdrawal: bigint;
  readonly periodEnd: number;
  /** BillingConfig.period_secs: a period's length, seconds (where a roll after periodEnd moves to, sdk nextPeriod). */
  readonly periodSecs: number;
  /** Whether the current period's base fee has been charged. */
  readonly baseFeePaid: boolean;
  readonly periodRequests: bigint;
  readonly periodOverageSpend: bigint;
  /** Overage cap per period, 0 = none. */
  readonly spendCap: bigint;
  /** Last settled usage batch. */
  readonly lastBatchSeq: bigint;
  /** BillingConfig.tiers, indexed by tier id. */
  readonly tiers: readonly Readonly<TierTerms>[];
  /**
   * The chain's clock (the Clock sysvar's unix_timestamp, whole seconds) minus this machine's, ms, as of the
   * last read of it; 0 before one. The settler rolls a period by the chain's clock, so the gate decides which
   * period a request falls in by its clock plus this (a cluster's clock can drift from real time by minutes).
   */
  readonly chainClockOffsetMs: number;
  /** Slot the state was read at: a state from an older slot never replaces a newer one. */
  readonly slot: number;
  /** Clock ms at which the source last confirmed this state is current (staleness is measured from it). */
  readonly observedAtMs: number;
}

export interface BalanceSource {
  /**
   * Latest state of a followed team, synchronously: null when the team is followed and its account does
   * not exist (yet), undefined when the team is not followed yet (then call follow).
   */
  peek(team: string): TeamChainState | null | undefined;
  /**
   * Starts following a team and resolves with its state; null when the account does not exist on chain.
   * Throws when the chain cannot be reached.
   */
  follow(team: string): Promise<TeamChainState | null>;
}

/** In-memory BalanceSource: tests set states directly; `observedAtMs` is the source clock at set/touch. */
export class MemoryBalanceSource implements BalanceSource {
  private readonly states = new Map<string, TeamChainState>();
  private readonly followed = new Set<string>();
  /** When set, follow() throws it (simulates the RPC being unreachable). */
  failWith: Error | null = null;
  followCalls = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Sets a team's state, stamping it observed now and one slot later than the previous one. */
  set(state: Omit<TeamChainState, "slot" | "observedAtMs"> & { slot?: number }): TeamChainState {
    const prev = this.states.get(state.team);
    const full: TeamChainState = {
      ...state,
      slot: state.slot ?? (prev ? prev.slot + 1 : 1),
      observedAtMs: this.now(),
    };
    this.states.set(state.team, full);
    return full;
  }

  /** Updates some fields of a team's state (a new slot). */
  update(team: string, patch: Partial<Omit<TeamChainState, "team" | "slot" | "observedAtMs">>): TeamChainState {
    const prev = this.states.get(team);
    if (prev === undefined) throw new Error(`unknown team ${team}`);
    return this.set({ ...prev, ...patch, slot: prev.slot + 1 });
  }

  /** The source confirms the current state is still current (a poll that found nothing new). */
  touch(team: string): void {
    const prev = this.states.get(team);
    if (prev === undefined) throw new Error(`unknown team ${team}`);
    this.states.set(team, { ...prev, observedAtMs: this.now() });
  }

  /** Removes a team: follow() then reports that its account does not exist. */
  delete(team: string): void {
    this.states.delete(team);
  }

  peek(team: string): TeamChainState | null | undefined {
    const s = this.states.get(team);
    if (s !== undefined) return s;
    return this.followed.has(team) ? null : undefined;
  }

  async follow(team: string): Promise<TeamChainState | null> {
    this.followCalls += 1;
    if (this.failWith) throw this.failWith;
    this.followed.add(team);
    return this.states.get(team) ?? null;
  }
}
