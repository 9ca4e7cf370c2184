// LeaseSource over the ledger: leases.renew and leases.release (convex/leases.ts), the balance leases'
// calls (balance/leases.ts). Called by the leases' background renewal, never on the request path.
import { api, type LedgerClient } from "../../../ledger/client";
import type { LeaseGrant, LeaseReport, LeaseSource } from "../balance/leases";

export class LedgerLeaseSource implements LeaseSource {
  constructor(private readonly ledger: LedgerClient) {}

  async renew(instance: string, ttlMs: number, teams: readonly LeaseReport[]): Promise<LeaseGrant[]> {
    const r = await this.ledger.server().mutation(api.leases.renew, { instance, ttlMs, teams: [...teams] });
    return r.leases;
  }

  async release(instance: string, teams?: readonly string[]): Promise<void> {
    await this.ledger.server().mutation(api.leases.release, { instance, ...(teams ? { teams: [...teams] } : {}) });
  }
}
