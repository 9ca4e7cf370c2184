// `npm run gateway -- leases list <team>` and `npm run gateway -- leases release <instance> [<team>…]`: the
// operator's view of a team's balance leases (balance/leases.ts) and the way to free the leases of an instance
// that will not come back (its usage log deleted for good: until then the ledger keeps its shares, since its
// restart would replay usage admitted under them). The ledger from CONVEX_URL / LEDGER_URL and
// LEDGER_SERVER_SECRET, as the gateway's. Prints JSON lines.
import { api, createLedgerClient, resolveLedgerUrl } from "../../../ledger/client";

export const LEASES_USAGE = "usage: npm run gateway -- leases list <team address> | leases release <instance> [<team address>…]";

export class LeasesCommandError extends Error {
  readonly code = "invalid_command";
}

/** A failed ledger call as the operator should read it: the ledger's address, the error and its cause (fetch's "fetch failed" alone names neither). */
async function fromLedger<T>(url: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const cause = e.cause?.code ?? e.cause?.message;
    throw new Error(`ledger at ${url}: ${e.message}${cause ? ` (${cause})` : ""}`);
  }
}

/** Runs the subcommand after `leases`; `print` gets each output line. */
export async function leasesCommand(args: readonly string[], env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<void> {
  const [verb, first, ...rest] = args;
  if ((verb !== "list" && verb !== "release") || !first || (verb === "list" && rest.length > 0)) throw new LeasesCommandError(LEASES_USAGE);
  const url = resolveLedgerUrl(env).url;
  const ledger = createLedgerClient({ url, serverSecret: env.LEDGER_SERVER_SECRET });
  if (verb === "list") {
    const now = Date.now();
    for (const l of await fromLedger(url, ledger.server().query(api.leases.list, { team: first }))) {
      print(JSON.stringify({ instance: l.instance, bps: l.bps, floorBps: l.floorBps, spentBps: l.spentBps, periodEnd: l.periodEnd, demand: l.demand, live: l.live, released: l.released, renewedMsAgo: now - l.updatedAtMs }));
    }
    return;
  }
  const r = await fromLedger(url, ledger.server().mutation(api.leases.release, { instance: first, ...(rest.length > 0 ? { teams: rest } : {}) }));
  print(JSON.stringify({ event: "released", instance: first, leases: r.released }));
}
