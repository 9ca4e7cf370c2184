// KeySource over the ledger: apiKeys.resolveApiKey for a key's record, apiKeys.revokedSince as the revocation
// feed (so the key cache never re-resolves keys just to notice a revocation) and apiKeys.touchApiKey for a
// key's "last used" time (called by the cache's background poll, never on the request path).
import { api, ledgerErrorOf, type LedgerClient } from "../../../ledger/client";
import type { KeyRecord, KeySource, MemberGrant, RevocationPage } from "../keys/source";

export class LedgerKeySource implements KeySource {
  constructor(private readonly ledger: LedgerClient) {}

  async resolve(keyHash: string): Promise<KeyRecord | null> {
    const r = await this.ledger.server().query(api.apiKeys.resolveApiKey, { keyHash });
    if (r === null) return null;
    const members = new Map<string, MemberGrant>();
    for (const m of r.members) members.set(m.userId, { allocation: m.allocation, allocationUsed: m.allocationUsed });
    return { teamId: r.teamId, team: r.chainTeam, vault: r.vault, revoked: r.revoked, members };
  }

  async revokedSince(cursor: string | null): Promise<RevocationPage> {
    return await this.ledger.server().query(api.apiKeys.revokedSince, { cursor });
  }

  async touch(keyHash: string, atMs: number): Promise<void> {
    try {
      await this.ledger.server().mutation(api.apiKeys.touchApiKey, { keyHash, atMs });
    } catch (err) {
      // A key deleted since it was cached has no "last used" to record.
      if (ledgerErrorOf(err)?.code === "not_found") return;
      throw err;
    }
  }
}
