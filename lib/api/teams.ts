// Teams: create one (the signed-in wallet becomes its Owner, linked to its on-chain team account).
import { PublicKey } from "@solana/web3.js";
import { TIER_COUNT } from "../../sdk/src/constants";
import { teamPda, vaultPda } from "../../sdk/src/pdas";
import { serverEnv } from "../env";
import { api, fromLedger, ledger } from "../server/ledger";
import { json, readJson, requireAction } from "../server/route";
import { optionalString, requireInteger, requireString } from "./validate";

/** POST {name, tier, email?} → {teamId}. The chain addresses are derived from the owner wallet (PDAs). */
export async function postTeam(req: Request): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  const name = requireString(body.name, "a team name", 80);
  const tier = requireInteger(body.tier ?? 0, "the tier", 0, TIER_COUNT - 1);
  const ownerEmail = optionalString(body.email, "an e-mail address", 254);
  const owner = new PublicKey(session.wallet);
  const programId = serverEnv().programId;
  const { teamId } = await fromLedger(() =>
    ledger()
      .as(session.wallet)
      .mutation(api.teams.create, {
        name,
        tier,
        ...(ownerEmail ? { ownerEmail, billingEmail: ownerEmail } : {}),
        chainTeam: teamPda(owner, programId).address.toBase58(),
        vault: vaultPda(owner, programId).address.toBase58(),
      }),
  );
  return json({ teamId }, 201);
}
