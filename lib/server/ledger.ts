// The dashboard's one ledger client (ledger/client.ts: ConvexHttpClient to a Convex deployment or the
// embedded sidecar) and a wrapper that turns its failures into AppErrors.
import { createLedgerClient, LedgerConfigError, resolveLedgerUrl, type LedgerClient } from "../../ledger/client";
import { AppError, toAppError } from "../errors";

export { api } from "../../ledger/client";

let client: { key: string; ledger: LedgerClient } | null = null;

/** The client for the ledger the environment names (made again if the URL or secret changed). */
export function ledger(): LedgerClient {
  const key = `${resolveLedgerUrl().url} ${process.env.LEDGER_SERVER_SECRET ?? ""}`;
  if (client?.key === key) return client.ledger;
  try {
    client = { key, ledger: createLedgerClient() };
  } catch (error) {
    if (error instanceof LedgerConfigError) {
      throw new AppError("internal", "The dashboard is not configured to reach the billing ledger (LEDGER_SERVER_SECRET is not set).", error.code);
    }
    throw error;
  }
  return client.ledger;
}

/** Awaits a ledger call; refusals and outages become AppErrors with the ledger's code. */
export async function fromLedger<T>(call: Promise<T> | (() => Promise<T>)): Promise<T> {
  try {
    return await (typeof call === "function" ? call() : call);
  } catch (error) {
    throw toAppError(error, "ledger");
  }
}
