// The gateway's health, for a load balancer's checks and for an operator: whether it can serve paid requests
// now (the HTTP status) and which of its background parts are failing (the body).
//
//   200 {"status":"ok", …}          serving, every part healthy
//   200 {"status":"degraded", …}    serving, but a part fails: chain data stale or unreadable (under the default
//                                   onChainUnavailable "deny" its teams' paid requests get 503 chain_unavailable),
//                                   the key source (revocations unseen, unknown keys refused with 503), settlement,
//                                   the indexer or the balance leases failing (usage waits, nothing lost)
//   503 {"status":"unavailable", …} the usage log takes no entries (a write failed, or the gateway is stopping):
//                                   every paid request would get 503 usage_log_unavailable
//
// Only states and figures: no error message, team, key or URL, since whoever reaches the gateway reaches this
// (the errors themselves are in the gateway's log lines).

export type HealthStatus = "ok" | "degraded" | "unavailable";

export interface Health {
  status: HealthStatus;
  /** "failed": a write failed and the log refuses entries until restarted; "closed": the gateway is stopping. */
  usageLog: "ok" | "failed" | "closed";
  /**
   * The API-key source (the ledger): "failing" when its last background call (revocation check, refresh, last-use
   * report) failed. Cached keys keep working; a revocation may go unseen and an unknown key gets 503.
   */
  keys: "ok" | "failing";
  chain: {
    /** "failing": the last read of the followed teams failed; "stale": some team's data is older than the gate's bound. */
    status: "ok" | "stale" | "failing";
    /** Teams followed. */
    teams: number;
    /** Of those, teams whose data is older than maxChainStalenessMs. */
    staleTeams: number;
    /** Age of the oldest team's data, ms; null with no team followed yet. */
    oldestDataMs: number | null;
    /**
     * The chain's clock minus this machine's, ms, as of the newest team data (null without any): the gate tells
     * billing periods by the chain's clock, so a large value here explains prices near a period's end.
     */
    clockOffsetMs: number | null;
  };
  settlement: {
    /** "failing": the last settlement attempt failed (it is retried; usage waits in the log). */
    status: "ok" | "failing";
    /** Served requests not settled on chain yet. */
    unsettled: number;
  };
  /** The chain indexer: "off" when another process indexes. */
  indexer: "ok" | "failing" | "off";
  /** Balance leases: "off" with a fixed share. */
  leases: "ok" | "failing" | "off";
}

/** What health is read from: a running gateway (GatewayRuntime has all of it). */
export interface HealthSource {
  gate: { readonly options: { readonly maxChainStalenessMs: number }; readonly keys: { readonly lastBackgroundError: unknown } };
  log: { readonly state: "open" | "failed" | "closed"; readonly unsettled: number };
  /** Followed teams, their last chain state (observedAtMs: unix ms), and the last poll's error (null once one succeeds). */
  balances: {
    teams(): string[];
    peek(team: string): { readonly observedAtMs: number; readonly chainClockOffsetMs: number } | null | undefined;
    readonly lastError: unknown;
  };
  settler: { readonly lastError: unknown };
  indexer: { readonly lastError: unknown } | null;
  leases: { readonly lastError: unknown } | null;
}

/** The health of `r` at `nowMs` (unix ms). */
export function healthOf(r: HealthSource, nowMs: number): Health {
  const bound = r.gate.options.maxChainStalenessMs;
  const teams = r.balances.teams();
  let staleTeams = 0;
  let oldestDataMs: number | null = null;
  let newest: { readonly observedAtMs: number; readonly chainClockOffsetMs: number } | null = null;
  for (const team of teams) {
    const s = r.balances.peek(team);
    if (!s) continue; // read, and no billing account: nothing to be stale
    const age = Math.max(0, nowMs - s.observedAtMs);
    if (age > bound) staleTeams += 1;
    if (oldestDataMs === null || age > oldestDataMs) oldestDataMs = age;
    if (newest === null || s.observedAtMs > newest.observedAtMs) newest = s;
  }
  const usageLog = r.log.state === "open" ? "ok" : r.log.state;
  const health: Health = {
    status: "ok",
    usageLog,
    keys: r.gate.keys.lastBackgroundError != null ? "failing" : "ok",
    chain: {
      status: r.balances.lastError != null ? "failing" : staleTeams > 0 ? "stale" : "ok",
      teams: teams.length,
      staleTeams,
      oldestDataMs,
      clockOffsetMs: newest === null ? null : newest.chainClockOffsetMs,
    },
    settlement: { status: r.settler.lastError != null ? "failing" : "ok", unsettled: r.log.unsettled },
    indexer: r.indexer === null ? "off" : r.indexer.lastError != null ? "failing" : "ok",
    leases: r.leases === null ? "off" : r.leases.lastError != null ? "failing" : "ok",
  };
  if (usageLog !== "ok") health.status = "unavailable";
  else if (
    health.keys === "failing" ||
    health.chain.status !== "ok" ||
    health.settlement.status !== "ok" ||
    health.indexer === "failing" ||
    health.leases === "failing"
  ) {
    health.status = "degraded";
  }
  return health;
}

/** The HTTP status of a health report: 503 when paid requests cannot be served, else 200. */
export function healthHttpStatus(h: Pick<Health, "status">): number {
  return h.status === "unavailable" ? 503 : 200;
}
