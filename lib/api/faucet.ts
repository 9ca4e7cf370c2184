// The local dev wallet's funding: asks the local chain's faucet (scripts/stack/faucet.ts, FAUCET_URL) for
// SOL and test USDC. Only on localnet with a faucet configured; elsewhere the route does not exist (404).
import { requireWalletAddress } from "../auth/siws";
import { serverEnv } from "../env";
import { AppError } from "../errors";
import { json, readJson, requireSameOrigin } from "../server/route";

const FAUCET_TIMEOUT_MS = 30_000;

/** POST {wallet} → {wallet, usdc, lamports} (base units, decimal strings) once the faucet has paid. */
export async function postFaucet(req: Request): Promise<Response> {
  requireSameOrigin(req);
  const faucetUrl = serverEnv().faucetUrl;
  if (!faucetUrl) throw new AppError("not_found", "There is no faucet on this network.");
  const wallet = requireWalletAddress((await readJson(req)).wallet);
  let res: Response;
  try {
    res = await fetch(new URL("/fund", faucetUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wallet }),
      signal: AbortSignal.timeout(FAUCET_TIMEOUT_MS),
    });
  } catch {
    throw new AppError("chain_unavailable", "The local faucet is not answering. Is `npm start` still running?", "faucet_unreachable");
  }
  const body = (await res.json().catch(() => null)) as { usdc?: string; lamports?: string; message?: string } | null;
  if (!res.ok) throw new AppError("chain_unavailable", `The local faucet refused: ${body?.message ?? res.status}.`, "faucet_refused");
  return json({ wallet, usdc: body?.usdc ?? null, lamports: body?.lamports ?? null });
}
