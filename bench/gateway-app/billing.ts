// The bench app's gate: a full gateway runtime from the environment (SOLANA_RPC_URL, BILLING_AUTHORITY_KEYPAIR,
// PREPAID_BILLING_PROGRAM_ID, LEDGER_URL + LEDGER_SERVER_SECRET, GATEWAY_USAGE_DIR), with rate limits above
// the load so every request is served and billed, and no indexer (the metering proxy's runtime indexes).
import { configureBilling } from "../../gateway/src/next";
import { startRuntimeFromSettings } from "../../gateway/src/runtime-settings";

const ABOVE_LOAD = { ratePerSec: 1_000_000, burst: 1_000_000 };

void configureBilling(async () => {
  const runtime = await startRuntimeFromSettings(
    {},
    { usageLogDir: process.env.GATEWAY_USAGE_DIR, gate: { rateLimits: [ABOVE_LOAD, ABOVE_LOAD, ABOVE_LOAD] }, indexer: false },
  );
  return { gate: runtime.gate, close: () => runtime.close(), unsettled: () => runtime.log.unsettled, clients: runtime.mode };
});
