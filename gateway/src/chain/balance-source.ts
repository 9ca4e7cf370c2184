// BalanceSource over a Solana RPC connection: the BillingConfig, each followed TeamBillingAccount and its
// vault, decoded by the SDK, held in memory for the gate to read synchronously (peek).
//
// Two feeds, one state:
// - Account subscriptions (web3.js onAccountChange, commitment "confirmed"): the config once, and for every
//   followed team its team account and its vault. A notification is decoded at once and replaces that one
//   account's part of the team's state, so a deposit or a withdrawal request reaches the gate within
//   milliseconds of the chain confirming it.
// - Polling (one getMultipleAccountsInfoAndContext per 49 teams): the fallback and the freshness source.
//   A quiet account sends no notification, and a subscription alone cannot tell "nothing changed" from
//   "the socket died": so only a successful poll stamps every followed team "observed now", and a
//   notification stamps the one team it carries. While the subscriptions are healthy the poll runs every
//   `fallbackPollMs` (default 5 s, a third of the gate's default 15 s staleness bound, so two polls may fail
//   before a quiet team goes stale); otherwise every `pollMs` (1 s).
// - Health is a slot subscription on the same socket: slots arrive every ≈ 400 ms, so no slot notification
//   for `heartbeatTimeoutMs` (3 s) means the WebSocket is closed, failed or stalled, and the poll returns to
//   `pollMs` at its next tick. web3.js reconnects by itself and re-subscribes; the first slot notification
//   after that triggers one poll at once, which picks up whatever changed while the socket was down.
// Out of order: every part (config, team account, vault) keeps the slot it was read at, from the
// notification's or the poll's context; a part from an older slot never replaces a newer one, and a team's
// state carries the newest slot of its parts. When the RPC is unreachable the states age and the gate's
// staleness rule (onChainUnavailable) takes over.
// refresh(teams) lets the settler read right after a settlement instead of waiting for the next poll.
// Every poll also reads the Clock sysvar: the states carry the chain's clock minus this machine's
// (chainClockOffsetMs), by which the gate tells which period a request falls in, as the settler's roll does.
// There is no unfollow: a team stays followed (and subscribed) until stop(), which removes every
// subscription (web3.js then closes its idle socket) and the timer.
import { TOKEN_PROGRAM_ID, unpackAccount } from "@solana/spl-token";
import {
  PublicKey,
  SYSVAR_CLOCK_PUBKEY,
  type AccountInfo,
  type Connection,
  type Context,
  type RpcResponseAndContext,
} from "@solana/web3.js";
import {
  decodeBillingConfig,
  decodeTeamBillingAccount,
  type BillingConfig,
  type TeamBillingAccount,
} from "../../../sdk/src/accounts";
import { PROGRAM_ID } from "../../../sdk/src/constants";
import { configPda } from "../../../sdk/src/pdas";
import type { BalanceSource, TeamChainState } from "../balance/source";
import { clockUnixSeconds } from "./clock";

/** The methods used for subscriptions; a connection without them is polled only. */
export type SubscriptionConnection = Pick<
  Connection,
  "onAccountChange" | "removeAccountChangeListener" | "onSlotChange" | "removeSlotChangeListener"
>;

/** The part of web3.js's Connection this source uses. */
export type AccountsConnection = Pick<Connection, "getMultipleAccountsInfoAndContext"> & Partial<SubscriptionConnection>;

export interface ChainBalanceOptions {
  connection: AccountsConnection;
  /** Default the IDL's program id. */
  programId?: PublicKey;
  /** Poll interval while subscriptions are off or unhealthy, ms (also the timer's tick). Default 1_000. */
  pollMs?: number;
  /**
   * Poll interval while subscriptions are healthy, ms; at least pollMs. Default 5_000. Keep it well under
   * the gate's maxChainStalenessMs: it is what keeps quiet teams fresh.
   */
  fallbackPollMs?: number;
  /** Subscribe to account changes. Default true when the connection has the subscription methods. */
  subscribe?: boolean;
  /** Subscriptions count as unhealthy when no slot notification came for this long, ms. Default 3_000. */
  heartbeatTimeoutMs?: number;
  /** After a failed first read of a team, how long follow() refuses without asking the chain, ms. Default 1_000. */
  retryMs?: number;
  /** Clock, unix ms. Default Date.now. */
  now?: () => number;
  /** Called with every new state of a team (a poll, a notification, a refresh), e.g. to mirror them in another thread. */
  onState?: (team: string, state: TeamChainState | null) => void;
}

/** Accounts per getMultipleAccounts call (the RPC's limit). */
const MAX_ACCOUNTS_PER_CALL = 100;
/** Commitment of the account subscriptions (the poll uses the connection's own). */
const SUBSCRIPTION_COMMITMENT = "confirmed";

/** web3.js's subscription id (its type is not exported). */
type ClientSubscriptionId = ReturnType<Connection["onSlotChange"]>;

/** One account's decoded value and the slot it was read at. */
interface Part<T> {
  value: T;
  slot: number;
}

export class ChainBalanceSource implements BalanceSource {
  private readonly states = new Map<string, TeamChainState | null>();
  /** Team account by team; null when it does not exist (or is not the program's). */
  private readonly teamParts = new Map<string, Part<TeamBillingAccount | null>>();
  /** Vault token balance by team, base units. */
  private readonly vaultParts = new Map<string, Part<bigint>>();
  private configPart: Part<BillingConfig> | null = null;
  private readonly vaults = new Map<string, string>();
  private readonly followed = new Set<string>();
  private readonly following = new Map<string, Promise<TeamChainState | null>>();
  private readonly retryAt = new Map<string, number>();
  private readonly retryMs: number;
  private readonly programId: PublicKey;
  private readonly configAddress: PublicKey;
  private readonly pollMs: number;
  private readonly fallbackPollMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly subscriber: SubscriptionConnection | null;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** Account subscriptions by address (base58), while started. */
  private readonly subscriptions = new Map<string, ClientSubscriptionId>();
  private slotSubscription: ClientSubscriptionId | null = null;
  /** Bumped by stop(): a notification of an earlier run is ignored. */
  private generation = 0;
  private lastHeartbeatAt: number | null = null;
  private lastPollStartedAt = Number.NEGATIVE_INFINITY;
  /** Last poll error (null after a successful poll). */
  lastError: unknown = null;
  polls = 0;
  /** Clock ms when the last successful poll finished, and how long it took. */
  lastPollAt = 0;
  lastPollMs = 0;
  /** Clock ms when the poll in progress (if any) started. */
  pollStartedAt: number | null = null;
  /** Account notifications applied (older-slot ones included: they are counted, then ignored). */
  notifications = 0;
  /** Last notification that could not be decoded (the poll then corrects the state). */
  lastNotificationError: unknown = null;
  /** The chain's clock minus this one's, ms, at the last poll (TeamChainState.chainClockOffsetMs). */
  chainClockOffsetMs = 0;

  constructor(private readonly opts: ChainBalanceOptions) {
    this.programId = opts.programId ?? PROGRAM_ID;
    this.configAddress = configPda(this.programId).address;
    this.pollMs = opts.pollMs ?? 1_000;
    this.fallbackPollMs = Math.max(opts.fallbackPollMs ?? 5_000, this.pollMs);
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 3_000;
    this.retryMs = opts.retryMs ?? 1_000;
    this.now = opts.now ?? Date.now;
    const c = opts.connection;
    const canSubscribe =
      typeof c.onAccountChange === "function" &&
      typeof c.removeAccountChangeListener === "function" &&
      typeof c.onSlotChange === "function" &&
      typeof c.removeSlotChangeListener === "function";
    if (opts.subscribe === true && !canSubscribe) {
      throw new TypeError("ChainBalanceSource: subscribe is on but the connection has no onAccountChange/onSlotChange");
    }
    this.subscriber = (opts.subscribe ?? true) && canSubscribe ? (c as SubscriptionConnection) : null;
  }

  /**
   * The gate's view: only teams it follows (subscribed and polled). A team read by refresh() alone (the
   * indexer's snapshots) is not followed, so its first gate request still goes through follow().
   */
  peek(team: string): TeamChainState | null | undefined {
    return this.followed.has(team) ? this.states.get(team) : undefined;
  }

  /** The latest state read for a team, followed or not (the indexer's balance snapshots). */
  latest(team: string): TeamChainState | null | undefined {
    return this.states.get(team);
  }

  /**
   * First read of a team. One read per team at a time however many requests wait for it, and after a
   * failure none for `retryMs`: a cold cache must not turn every request into an RPC call.
   */
  follow(team: string): Promise<TeamChainState | null> {
    const inFlight = this.following.get(team);
    if (inFlight !== undefined) return inFlight;
    const retryAt = this.retryAt.get(team) ?? 0;
    if (this.now() < retryAt) {
      return Promise.reject(new Error(`chain read of team ${team} failed recently; retrying after ${new Date(retryAt).toISOString()}`));
    }
    try {
      new PublicKey(team); // a malformed address fails here, as an unreachable chain would
    } catch (err) {
      return Promise.reject(err);
    }
    this.followed.add(team); // the poll keeps trying it even if this read fails
    this.subscribeTeam(team); // before the read, so no change falls between the two
    const p = this.refresh([team])
      .then(
        () => {
          this.retryAt.delete(team);
          return this.states.get(team) ?? null;
        },
        (err: unknown) => {
          this.lastError = err;
          this.retryAt.set(team, this.now() + this.retryMs);
          throw err;
        },
      )
      .finally(() => this.following.delete(team));
    this.following.set(team, p);
    return p;
  }

  /** Teams followed so far. */
  teams(): string[] {
    return [...this.followed];
  }

  /** Reads the given teams (default: all followed) now. Throws when the RPC fails. */
  async refresh(teams: readonly string[] = [...this.followed]): Promise<void> {
    if (teams.length === 0) return;
    // First sight of a team: its vault address is in the team account, so read the team first (and
    // subscribe to the vault before reading it).
    const unknownVault = teams.filter((t) => !this.vaults.has(t));
    if (unknownVault.length > 0) {
      await this.readOnce(unknownVault, false);
      for (const t of unknownVault) if (this.followed.has(t)) this.subscribeTeam(t);
    }
    await this.readOnce(teams, true);
  }

  private async readOnce(teams: readonly string[], withVaults: boolean): Promise<void> {
    for (let i = 0; i < teams.length; i += MAX_ACCOUNTS_PER_CALL / 2 - 1) {
      const slice = teams.slice(i, i + MAX_ACCOUNTS_PER_CALL / 2 - 1);
      const keys = [this.configAddress, SYSVAR_CLOCK_PUBKEY, ...slice.map((t) => new PublicKey(t))];
      // A team whose vault is still unknown (no account at the first read) takes its own address as a
      // placeholder; that answer is not a vault and is not used.
      const vaultKeys = slice.map((t) => this.vaults.get(t) ?? t);
      if (withVaults) keys.push(...vaultKeys.map((v) => new PublicKey(v)));
      const res: RpcResponseAndContext<(AccountInfo<Buffer> | null)[]> =
        await this.opts.connection.getMultipleAccountsInfoAndContext(keys);
      const observedAtMs = this.now();
      const slot = res.context.slot;
      const configInfo = res.value[0];
      if (!configInfo) throw new Error(`BillingConfig ${this.configAddress.toBase58()} does not exist`);
      this.setConfig(decodeBillingConfig(configInfo.data), slot);
      const chainSeconds = clockUnixSeconds(res.value[1]);
      if (chainSeconds !== null) this.chainClockOffsetMs = Number(chainSeconds) * 1000 - observedAtMs;
      slice.forEach((team, j) => {
        const acct = this.decodeTeam(res.value[2 + j]);
        this.setTeam(team, acct, slot);
        if (acct !== null && withVaults && acct.vault.toBase58() === vaultKeys[j]) {
          this.setVault(team, vaultAmount(acct.vault, res.value[2 + slice.length + j]), slot);
        }
        this.compose(team, observedAtMs);
      });
    }
  }

  private decodeTeam(info: AccountInfo<Buffer> | null | undefined): TeamBillingAccount | null {
    if (!info || !info.owner.equals(this.programId) || info.data.length === 0) return null;
    return decodeTeamBillingAccount(info.data);
  }

  /** Each setter keeps the part unless the held one is from a newer slot (never rewind). */
  private setConfig(cfg: BillingConfig, slot: number): boolean {
    if (this.configPart && slot < this.configPart.slot) return false;
    this.configPart = { value: cfg, slot };
    return true;
  }

  private setTeam(team: string, acct: TeamBillingAccount | null, slot: number): boolean {
    const prev = this.teamParts.get(team);
    if (prev && slot < prev.slot) return false;
    this.teamParts.set(team, { value: acct, slot });
    if (acct !== null) this.vaults.set(team, acct.vault.toBase58());
    return true;
  }

  private setVault(team: string, amount: bigint, slot: number): boolean {
    const prev = this.vaultParts.get(team);
    if (prev && slot < prev.slot) return false;
    this.vaultParts.set(team, { value: amount, slot });
    return true;
  }

  /**
   * Rebuilds a team's state from its parts, stamped observed at `observedAtMs`: null when its account
   * does not exist; unchanged while its vault or the config has not been read yet.
   */
  private compose(team: string, observedAtMs: number): void {
    const acct = this.teamParts.get(team);
    if (acct === undefined) return;
    let state: TeamChainState | null = null;
    if (acct.value !== null) {
      const vault = this.vaultParts.get(team);
      const cfg = this.configPart;
      if (vault === undefined || cfg === null) return;
      const slot = Math.max(acct.slot, vault.slot, cfg.slot);
      state = stateOf(team, acct.value, vault.value, cfg.value, slot, observedAtMs, this.chainClockOffsetMs);
    }
    this.states.set(team, state);
    this.opts.onState?.(team, state);
  }

  /** The decoded TeamBillingAccount behind the latest state of a team (for balance snapshots). */
  account(team: string): TeamBillingAccount | undefined {
    return this.teamParts.get(team)?.value ?? undefined;
  }

  /** One poll of every followed team; errors are kept in lastError (the states then age). */
  poll(): Promise<void> {
    if (this.polling === null) {
      const started = this.now();
      this.pollStartedAt = started;
      this.lastPollStartedAt = started;
      this.polling = this.refresh()
        .then(
          () => {
            this.lastError = null;
            this.polls += 1;
            this.lastPollAt = this.now();
            this.lastPollMs = this.lastPollAt - started;
          },
          (err: unknown) => {
            this.lastError = err;
          },
        )
        .finally(() => {
          this.polling = null;
          this.pollStartedAt = null;
        });
    }
    return this.polling;
  }

  /** Whether account subscriptions are on for this run. */
  get subscribed(): boolean {
    return this.timer !== null && this.subscriber !== null;
  }

  /** Subscriptions on and a slot notification within heartbeatTimeoutMs: the poll may slow down. */
  subscriptionsHealthy(): boolean {
    return this.subscribed && this.lastHeartbeatAt !== null && this.now() - this.lastHeartbeatAt <= this.heartbeatTimeoutMs;
  }

  /** Starts polling (unref'd timer) and, when on, the subscriptions. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), this.pollMs);
    this.timer.unref();
    const s = this.subscriber;
    if (s === null) return;
    const generation = this.generation;
    this.subscribe(this.configAddress.toBase58(), (info, ctx) => {
      if (!info.owner.equals(this.programId) || info.data.length === 0) return; // the poll reports a missing config
      if (!this.setConfig(decodeBillingConfig(info.data), ctx.slot)) return;
      const now = this.now();
      for (const team of this.teamParts.keys()) this.compose(team, now);
    });
    for (const team of this.followed) this.subscribeTeam(team);
    this.slotSubscription = s.onSlotChange(() => {
      if (generation !== this.generation) return;
      const wasHealthy = this.subscriptionsHealthy();
      this.lastHeartbeatAt = this.now();
      // Back after an outage (or the first heartbeat): read once now, catching what the socket missed.
      if (!wasHealthy) void this.poll();
    });
  }

  /** Stops the timer and removes every subscription (resolves when web3.js has dropped them). */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.generation += 1;
    this.lastHeartbeatAt = null;
    const s = this.subscriber;
    if (s === null) return;
    const removals: Promise<void>[] = [...this.subscriptions.values()].map((id) => s.removeAccountChangeListener(id));
    if (this.slotSubscription !== null) removals.push(s.removeSlotChangeListener(this.slotSubscription));
    this.subscriptions.clear();
    this.slotSubscription = null;
    // A removal fails only when the listener is already gone: nothing is left to clean up.
    await Promise.allSettled(removals);
  }

  private tick(): void {
    const interval = this.subscriptionsHealthy() ? this.fallbackPollMs : this.pollMs;
    if (this.now() - this.lastPollStartedAt >= interval) void this.poll();
  }

  /** Subscribes to a followed team's account, and to its vault once its address is known. */
  private subscribeTeam(team: string): void {
    if (!this.subscribed) return;
    this.subscribe(team, (info, ctx) => {
      const acct = this.decodeTeam(info);
      if (!this.setTeam(team, acct, ctx.slot)) return;
      this.compose(team, this.now());
      this.subscribeTeam(team); // the vault, when this is the first sight of the team
    });
    const vault = this.vaults.get(team);
    if (vault === undefined) return;
    this.subscribe(vault, (info, ctx) => {
      if (!this.setVault(team, vaultAmount(new PublicKey(vault), info), ctx.slot)) return;
      this.compose(team, this.now());
    });
  }

  /** One account subscription per address per run; a notification that fails to decode is kept aside. */
  private subscribe(address: string, apply: (info: AccountInfo<Buffer>, ctx: Context) => void): void {
    const s = this.subscriber;
    if (s === null || this.subscriptions.has(address)) return;
    const generation = this.generation;
    const id = s.onAccountChange(
      new PublicKey(address),
      (info, ctx) => {
        if (generation !== this.generation) return;
        this.notifications += 1;
        try {
          apply(info, ctx);
        } catch (err) {
          this.lastNotificationError = err;
        }
      },
      { commitment: SUBSCRIPTION_COMMITMENT },
    );
    this.subscriptions.set(address, id);
  }
}

/** A vault's token balance; 0 when the account is missing or closed (no data). */
function vaultAmount(address: PublicKey, info: AccountInfo<Buffer> | null | undefined): bigint {
  if (!info || info.data.length === 0 || !info.owner.equals(TOKEN_PROGRAM_ID)) return 0n;
  return unpackAccount(address, info, TOKEN_PROGRAM_ID).amount;
}

function stateOf(
  team: string,
  a: TeamBillingAccount,
  vaultBalance: bigint,
  cfg: BillingConfig,
  slot: number,
  observedAtMs: number,
  chainClockOffsetMs: number,
): TeamChainState {
  return {
    team,
    vault: a.vault.toBase58(),
    mint: cfg.usdcMint.toBase58(),
    tier: a.tier,
    pendingTier: a.pendingTier,
    status: a.status,
    vaultBalance,
    unpaidBaseFee: a.unpaidBaseFee,
    unpaidOverage: a.unpaidOverage,
    pendingWithdrawal: a.pendingWithdrawal,
    periodEnd: Number(a.periodEnd),
    periodSecs: Number(cfg.periodSecs),
    baseFeePaid: a.baseFeePaid,
    periodRequests: a.periodRequests,
    periodOverageSpend: a.periodOverageSpend,
    spendCap: a.spendCap,
    lastBatchSeq: a.lastBatchSeq,
    tiers: cfg.tiers,
    chainClockOffsetMs,
    slot,
    observedAtMs,
  };
}
