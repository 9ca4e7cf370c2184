// BalanceSource over a Solana RPC connection: every `pollMs` one getMultipleAccountsInfo call reads the
// BillingConfig, each followed TeamBillingAccount and its vault, decoded by the SDK. The gate reads the
// result synchronously (peek); a poll that succeeds stamps every state observed now, so when the RPC is
// unreachable the states age and the gate's staleness rule (onChainUnavailable) takes over.
// refresh(teams) lets the settler read right after a settlement instead of waiting for the next poll.
import { TOKEN_PROGRAM_ID, unpackAccount } from "@solana/spl-token";
import { PublicKey, type AccountInfo, type Connection, type RpcResponseAndContext } from "@solana/web3.js";
import {
  decodeBillingConfig,
  decodeTeamBillingAccount,
  type BillingConfig,
  type TeamBillingAccount,
} from "../../../sdk/src/accounts";
import { PROGRAM_ID } from "../../../sdk/src/constants";
import { configPda } from "../../../sdk/src/pdas";
import type { BalanceSource, TeamChainState } from "../balance/source";

/** The part of web3.js's Connection this source uses. */
export type AccountsConnection = Pick<Connection, "getMultipleAccountsInfoAndContext">;

export interface ChainBalanceOptions {
  connection: AccountsConnection;
  /** Default the IDL's program id. */
  programId?: PublicKey;
  /** Poll interval, ms. Default 1_000. */
  pollMs?: number;
  /** After a failed first read of a team, how long follow() refuses without asking the chain, ms. Default 1_000. */
  retryMs?: number;
  /** Clock, unix ms. Default Date.now. */
  now?: () => number;
}

/** Accounts per getMultipleAccounts call (the RPC's limit). */
const MAX_ACCOUNTS_PER_CALL = 100;

export class ChainBalanceSource implements BalanceSource {
  private readonly states = new Map<string, TeamChainState | null>();
  private readonly accounts = new Map<string, TeamBillingAccount>();
  private readonly vaults = new Map<string, string>();
  private readonly followed = new Set<string>();
  private readonly following = new Map<string, Promise<TeamChainState | null>>();
  private readonly retryAt = new Map<string, number>();
  private readonly retryMs: number;
  private readonly programId: PublicKey;
  private readonly pollMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** Last poll error (null after a successful poll). */
  lastError: unknown = null;
  polls = 0;
  /** Clock ms when the last successful poll finished, and how long it took. */
  lastPollAt = 0;
  lastPollMs = 0;
  /** Clock ms when the poll in progress (if any) started. */
  pollStartedAt: number | null = null;

  constructor(private readonly opts: ChainBalanceOptions) {
    this.programId = opts.programId ?? PROGRAM_ID;
    this.pollMs = opts.pollMs ?? 1_000;
    this.retryMs = opts.retryMs ?? 1_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The gate's view: only teams it follows (polled every pollMs). A team read by refresh() alone (the
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
    const config = configPda(this.programId).address;
    // First sight of a team: its vault address is in the team account, so read the team first.
    const unknownVault = teams.filter((t) => !this.vaults.has(t));
    if (unknownVault.length > 0) await this.readOnce(config, unknownVault, false);
    await this.readOnce(config, teams, true);
  }

  private async readOnce(config: PublicKey, teams: readonly string[], withVaults: boolean): Promise<void> {
    for (let i = 0; i < teams.length; i += MAX_ACCOUNTS_PER_CALL / 2 - 1) {
      const slice = teams.slice(i, i + MAX_ACCOUNTS_PER_CALL / 2 - 1);
      const keys = [config, ...slice.map((t) => new PublicKey(t))];
      if (withVaults) for (const t of slice) keys.push(new PublicKey(this.vaults.get(t) ?? t));
      const res: RpcResponseAndContext<(AccountInfo<Buffer> | null)[]> =
        await this.opts.connection.getMultipleAccountsInfoAndContext(keys);
      const observedAtMs = this.now();
      const configInfo = res.value[0];
      if (!configInfo) throw new Error(`BillingConfig ${config.toBase58()} does not exist`);
      const cfg = decodeBillingConfig(configInfo.data);
      slice.forEach((team, j) => {
        const info = res.value[1 + j];
        if (!info || !info.owner.equals(this.programId)) {
          this.states.set(team, null);
          return;
        }
        const acct = decodeTeamBillingAccount(info.data);
        this.vaults.set(team, acct.vault.toBase58());
        if (!withVaults) return;
        const vaultInfo = res.value[1 + slice.length + j];
        const vaultBalance = vaultInfo ? unpackAccount(acct.vault, vaultInfo, TOKEN_PROGRAM_ID).amount : 0n;
        if (this.store(team, stateOf(team, acct, vaultBalance, cfg, res.context.slot, observedAtMs))) {
          this.accounts.set(team, acct);
        }
      });
    }
  }

  /** Keeps `s` unless the held state is from a newer slot (never rewind); returns whether it was kept. */
  private store(team: string, s: TeamChainState): boolean {
    const prev = this.states.get(team);
    if (prev && s.slot < prev.slot) return false;
    this.states.set(team, s);
    return true;
  }

  /** The decoded TeamBillingAccount behind the latest state of a team (for balance snapshots). */
  account(team: string): TeamBillingAccount | undefined {
    return this.accounts.get(team);
  }

  /** One poll of every followed team; errors are kept in lastError (the states then age). */
  poll(): Promise<void> {
    if (this.polling === null) {
      const started = this.now();
      this.pollStartedAt = started;
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

  /** Starts polling (unref'd timer). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function stateOf(
  team: string,
  a: TeamBillingAccount,
  vaultBalance: bigint,
  cfg: BillingConfig,
  slot: number,
  observedAtMs: number,
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
    baseFeePaid: a.baseFeePaid,
    periodRequests: a.periodRequests,
    periodOverageSpend: a.periodOverageSpend,
    spendCap: a.spendCap,
    lastBatchSeq: a.lastBatchSeq,
    tiers: cfg.tiers,
    slot,
    observedAtMs,
  };
}
