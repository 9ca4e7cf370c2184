// Links to a transaction on the Solana explorer. Only followed when a user clicks: the dashboard itself
// never requests another host. For the local chain the explorer is pointed at its RPC URL.
import type { Cluster } from "../env";

export function explorerTxUrl(signature: string, cluster: Cluster, rpcUrl: string): string {
  const base = `https://explorer.solana.com/tx/${encodeURIComponent(signature)}`;
  if (cluster === "mainnet-beta") return base;
  if (cluster === "devnet") return `${base}?cluster=devnet`;
  return `${base}?cluster=custom&customUrl=${encodeURIComponent(rpcUrl)}`;
}
