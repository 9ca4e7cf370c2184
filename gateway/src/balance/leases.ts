// Balance leases: this instance's share of each team's funds, held from the ledger (convex/model/leases.ts)
// instead of fixed by configuration (GateOptions.instanceShareBps). Several gateway instances (each with its
// own usage log) can then serve one team without an operator dividing its balance by hand, and the balance
// moves to the instances its requests reach.
//
// The protocol, per team, once every `renewMs` (one ledger call for all the instance's teams):
//   report { usingBps, floorBps, demand, spentBps, periodEnd } ─► ledger ─► grant { bps, targetBps }
// - usingBps: the share the gate admits against now. The ledger frees what the instance holds above it, so
//   after a report the instance never uses more than it reported (it only changes its share on a grant).
// - floorBps: the share its spend this period and its unsettled reservations take (Gate.leaseFloorBps): it
//   is never asked below that. Shares are of a basis that stays put through the period (shares.ts).
// - spentBps, periodEnd: the part of the floor that is settled spend, and its period (Gate.leaseSpend): the
//   ledger keeps that part held after a release, until a later period.
// - demand: requests admitted, or refused for want of share, since the last report: shares follow it.
// - bps: the most it may use; targetBps ≤ bps: what the ledger asks it to use (lower when another instance
//   needs the funds). The instance uses targetBps, raised to its current floor, capped at bps.
// The ledger grants only bps nobody holds, so the shares of a team never sum to more than the whole, at any
// moment. A share moves from one instance to another in two renewals (the holder is asked to shrink, then
// reports that it did). A lease that is not renewed keeps its bps in the ledger (its instance may have died
// holding unsettled usage, which its restart replays under the same instance id): only that instance, or
// `release` (an operator, or the instance closing with nothing left unsettled), frees it. So an instance
// that cannot reach the ledger keeps admitting against what it holds: funds stay safe without it.
import { FULL_SHARE_BPS } from "./team-book";
import { INSTANCE_PATTERN, MAX_TEAMS_PER_CALL, MAX_TTL_MS, MIN_TTL_MS, type LeaseReport } from "../../../convex/model/leases";

/**
 * What an instance tells the ledger about one team (the ledger's own shape): `usingBps` the share it admits
 * against now (for a team it holds no grant for yet, FULL_SHARE_BPS: frees nothing), `floorBps` the share its
 * unsettled reservations need (≤ usingBps), `demand` requests admitted or refused for want of share since the
 * last report.
 */
export type { LeaseReport };

/** The ledger's answer for one team. */
export interface LeaseGrant {
  team: string;
  /** The most this instance may admit against, bps. */
  bps: number;
  /** What it should admit against now, bps (≤ bps). */
  targetBps: number;
  /** The lease's expiry in the ledger (unix ms): past it the ledger stops moving shares to or from it. */
  expiresAtMs: number;
}

/** The ledger's lease calls (ledger/lease-source.ts; in the I/O thread, a call to it). */
export interface LeaseSource {
  renew(instance: string, ttlMs: number, teams: readonly LeaseReport[]): Promise<LeaseGrant[]>;
  /** Frees the instance's leases of these teams (all when omitted). */
  release(instance: string, teams?: readonly string[]): Promise<void>;
}

/** What the gate asks of the leases (GateOptions.leases). */
export interface GateLeases {
  /** The share to admit against for `team`, bps; undefined before the instance holds a grant for it. */
  share(team: string): number | undefined;
  /** Resolves once `team` holds a grant (a renewal that includes it); rejects when the ledger cannot be reached. */
  acquire(team: string): Promise<void>;
  /** `units` requests for `team` were admitted, or refused for want of share. */
  noteDemand(team: string, units: number): void;
}

export interface BalanceLeasesOptions {
  source: LeaseSource;
  /**
   * This instance's id (1–64 of [A-Za-z0-9._:-]): the same across restarts over the same usage log, so a
   * restarted instance takes back the leases its unsettled usage was admitted under (runtime.ts keeps it in
   * the log's directory).
   */
  instance: string;
  /** The share a team's spend this period and unsettled reservations take now, bps (Gate.leaseFloorBps). */
  floorOf: (team: string) => number;
  /** The settled part of it, its period, and whether anything is reserved (Gate.leaseSpend); null: nothing known. */
  spendOf?: (team: string) => { spentBps: number; periodEnd: number; reserved: boolean } | null;
  /** Renewal interval, ms. Default 1_000. */
  renewMs?: number;
  /** Lease time to live in the ledger, ms (MIN_TTL_MS to MAX_TTL_MS: 1_000 to 600_000). Default 10_000. */
  ttlMs?: number;
}

interface TeamLease {
  /** The most it may use, bps (0 before the first grant). */
  bps: number;
  /** What the gate admits against, bps. */
  using: number;
  granted: boolean;
  /** Demand since the last report that reached the ledger. */
  demand: number;
}

export class BalanceLeases implements GateLeases {
  private readonly teams = new Map<string, TeamLease>();
  private readonly renewMs: number;
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** The renewal in flight; renewals never overlap (a report must not race the grant before it). */
  private running: Promise<void> | null = null;
  /** Another renewal was asked for while one ran (a team seen for the first time). */
  private again: Promise<void> | null = null;
  /** The last renewal's error, null after one succeeded. */
  lastError: unknown = null;
  /** Renewals that reached the ledger. */
  renewals = 0;

  constructor(private readonly o: BalanceLeasesOptions) {
    if (!INSTANCE_PATTERN.test(o.instance)) throw new RangeError(`balance leases: instance must be 1 to 64 of [A-Za-z0-9._:-], got ${JSON.stringify(o.instance)}`);
    this.renewMs = o.renewMs ?? 1_000;
    this.ttlMs = o.ttlMs ?? 10_000;
    if (!(Number.isInteger(this.renewMs) && this.renewMs > 0)) throw new RangeError(`balance leases: renewMs must be a positive integer, got ${this.renewMs}`);
    if (!(Number.isInteger(this.ttlMs) && this.ttlMs >= MIN_TTL_MS && this.ttlMs <= MAX_TTL_MS)) throw new RangeError(`balance leases: ttlMs must be an integer from ${MIN_TTL_MS} to ${MAX_TTL_MS}, got ${this.ttlMs}`);
    if (this.ttlMs <= this.renewMs) throw new RangeError(`balance leases: ttlMs (${this.ttlMs}) must exceed renewMs (${this.renewMs})`);
  }

  get instance(): string {
    return this.o.instance;
  }

  share(team: string): number | undefined {
    const t = this.teams.get(team);
    return t !== undefined && t.granted ? t.using : undefined;
  }

  noteDemand(team: string, units: number): void {
    const t = this.teams.get(team);
    if (t !== undefined) t.demand += units;
  }

  acquire(team: string): Promise<void> {
    const t = this.teams.get(team);
    if (t !== undefined && t.granted) return Promise.resolve();
    if (t === undefined) this.teams.set(team, { bps: 0, using: 0, granted: false, demand: 1 });
    return this.renewSoon().then(() => {
      if (this.teams.get(team)?.granted !== true) throw new Error(`no balance lease for team ${team}: ${String(this.lastError)}`);
    });
  }

  /** Grants of every team held, bps (for status and tests). */
  held(): Map<string, { bps: number; using: number }> {
    return new Map([...this.teams].filter(([, t]) => t.granted).map(([team, t]) => [team, { bps: t.bps, using: t.using }]));
  }

  /**
   * Renews every `renewMs` from now (the timer is unref'd). Teams passed are asked for at once (a restart's
   * unsettled ones): the promise is that renewal's (it never rejects; errors are kept in lastError).
   */
  start(teams: readonly string[] = []): Promise<void> {
    for (const team of teams) if (!this.teams.has(team)) this.teams.set(team, { bps: 0, using: 0, granted: false, demand: 0 });
    if (this.timer === null) {
      this.timer = setInterval(() => this.renewSoon().catch(() => undefined), this.renewMs); // kept in lastError
      this.timer.unref();
    }
    return teams.length > 0 ? this.renewSoon().catch(() => undefined) : Promise.resolve();
  }

  /** Stops renewing (after the renewal in flight). */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.again?.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  /**
   * Frees, in the ledger, the leases of teams with nothing reserved (on close, after settling). A last renewal
   * first reports their spend this period, which the ledger keeps held (convex/model/leases.ts).
   */
  async releaseIdle(): Promise<string[]> {
    const idle = [...this.teams].filter(([team, t]) => t.granted && !this.reserves(team)).map(([team]) => team);
    if (idle.length === 0) return idle;
    await this.renewSoon();
    for (let i = 0; i < idle.length; i += MAX_TEAMS_PER_CALL) await this.o.source.release(this.o.instance, idle.slice(i, i + MAX_TEAMS_PER_CALL));
    for (const team of idle) this.teams.delete(team);
    return idle;
  }

  /** Whether the instance holds reservations of `team` (without spendOf: whether its floor is above nothing). */
  private reserves(team: string): boolean {
    if (this.o.spendOf === undefined) return this.o.floorOf(team) > 0;
    return this.o.spendOf(team)?.reserved ?? false;
  }

  /** One renewal now, or the next one after the renewal in flight (never two at once). Errors are kept in lastError. */
  renewSoon(): Promise<void> {
    if (this.running === null) {
      this.running = this.renewOnce().finally(() => (this.running = null));
      return this.running;
    }
    this.again ??= this.running.then(
      () => this.renewSoon(),
      () => this.renewSoon(),
    ).finally(() => (this.again = null));
    return this.again;
  }

  private async renewOnce(): Promise<void> {
    const entries = [...this.teams];
    if (entries.length === 0) return;
    try {
      for (let i = 0; i < entries.length; i += MAX_TEAMS_PER_CALL) {
        const chunk = entries.slice(i, i + MAX_TEAMS_PER_CALL);
        const reports: LeaseReport[] = chunk.map(([team, t]) => {
          const using = t.granted ? t.using : FULL_SHARE_BPS;
          const floorBps = Math.min(this.o.floorOf(team), using);
          const spend = this.o.spendOf?.(team) ?? null;
          if (spend === null) return { team, usingBps: using, floorBps, demand: t.demand };
          return { team, usingBps: using, floorBps, demand: t.demand, spentBps: Math.min(spend.spentBps, floorBps), periodEnd: spend.periodEnd };
        });
        const grants = await this.o.source.renew(this.o.instance, this.ttlMs, reports);
        this.renewals += 1;
        for (let j = 0; j < chunk.length; j++) {
          const [team, t] = chunk[j]!;
          const g = grants[j];
          if (g === undefined || g.team !== team) throw new Error(`balance leases: the ledger answered for ${g?.team ?? "nothing"} where ${team} was asked`);
          t.demand = Math.max(0, t.demand - reports[j]!.demand); // what arrived since the report counts next time
          t.bps = g.bps;
          // The ledger's target, raised to what the reservations need now, never above what it granted.
          t.using = Math.min(g.bps, Math.max(g.targetBps, this.o.floorOf(team)));
          t.granted = true;
        }
      }
      this.lastError = null;
    } catch (err) {
      this.lastError = err;
      throw err;
    }
  }
}
