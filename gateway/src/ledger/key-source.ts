// KeySource over the ledger: apiKeys.resolveApiKey (a server call). The ledger has no revocation feed,
// so the key cache re-resolves cached keys each revocation interval (revocationCheckMs).
import { api, type LedgerClient } from "../../../ledger/client";
import type { KeyRecord, KeySource, MemberGrant } from "../keys/source";

export class LedgerKeySource implements KeySource {
  constructor(private readonly ledger: LedgerClient) {}

  async resolve(keyHash: string): Promise<KeyRecord | null> {
    const r = await this.ledger.server().query(api.apiKeys.resolveApiKey, { keyHash });
    if (r === null) return null;
    const members = new Map<string, MemberGrant>();
    for (const m of r.members) members.set(m.userId, { allocation: m.allocation, allocationUsed: m.allocationUsed });
    return { teamId: r.teamId, team: r.chainTeam, vault: r.vault, revoked: r.revoked, members };
  }
}
