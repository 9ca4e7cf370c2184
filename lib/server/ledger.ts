// The dashboard's one ledger client (ledger/client.ts: ConvexHttpClient to a Convex deployment or the
// embedded sidecar) and a wrapper that turns its failures into AppErrors.
import { createLedgerClient, LedgerConfigError, type LedgerClient } from "../../ledger/client";
import { AppError, toAppError } from "../errors";

export { api } from "../../ledger/client";

let client: LedgerClient | null = null;

export function ledger(): LedgerClient {
  if (client) return client;
  try {
    client = createLedgerClient();
  } catch (error) {
    if (error instanceof LedgerConfigError) {
      throw new AppError("internal", "The dashboard is not configured to reach the billing ledger (LEDGER_SERVER_SECRET is not set).", error.code);
    }
    throw error;
  }
  return client;
}

/** Awaits a ledger call; refusals and outages become AppErrors with the ledger's code. */
export async function fromLedger<T>(call: Promise<T> | (() => Promise<T>)): Promise<T> {
  try {
    return await (typeof call === "function" ? call() : call);
  } catch (error) {
    throw toAppError(error, "ledger");
  }
}
