// Tier terms for display: from the deployment's on-chain config when it can be read, else the contract's
// defaults (the program is not initialised yet, or the chain is down).
import { DEFAULT_TIERS, TIER_NAMES, type TierId, type TierTerms } from "../../sdk/src/constants";
import { formatUsdc, formatUsdcExact } from "../format/usdc";
import { billingClient } from "../server/chain";
import { formatCount } from "../format/text";

export interface TierInfo extends TierTerms {
  id: number;
  name: string;
}

export async function tierTerms(): Promise<{ tiers: TierInfo[]; fromChain: boolean }> {
  const config = await billingClient()
    .fetchConfigOrNull()
    .catch(() => null);
  const terms = config?.tiers ?? DEFAULT_TIERS;
  return { tiers: terms.map((t, id) => ({ ...t, id, name: TIER_NAMES[id as TierId] ?? `Tier ${id}` })), fromChain: config !== null };
}

export function describeTier(t: TierInfo): string {
  return `${t.name}: ${formatUsdc(t.monthlyFee)} per period, ${formatCount(t.includedRequests)} requests included, then ${formatUsdcExact(t.overagePrice)} per request`;
}

export async function tierOptions(): Promise<{ id: number; label: string }[]> {
  const { tiers } = await tierTerms();
  return tiers.map((t) => ({ id: t.id, label: describeTier(t) }));
}
