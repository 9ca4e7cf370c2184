"use client";
import { useSignedAction } from "../wallet/use-signed-action";
import { ActionStatus } from "./action-status";

/** A team without its on-chain account: the owner creates it (team PDA + vault) by signing once. */
export function CreateAccountCard({ teamId, sessionWallet, isOwner, tier, tierText }: { teamId: string; sessionWallet: string; isOwner: boolean; tier: number; tierText: string }) {
  const { state, run, busy } = useSignedAction(teamId, sessionWallet);
  return (
    <div className="card" data-testid="create-account-card">
      <h2>Set up on-chain billing</h2>
      <p>
        This team has no billing account on Solana yet. Its owner creates it once: a team account and a USDC vault that only the billing
        program controls.
      </p>
      <p className="small muted">{tierText}</p>
      {isOwner ? (
        <div className="row">
          <button className="btn btn-primary" disabled={busy} onClick={() => run("create_account", { tier }, "Billing account created.")}>
            Create billing account
          </button>
        </div>
      ) : (
        <p className="small muted">Ask the team&apos;s owner to set it up.</p>
      )}
      <ActionStatus state={state} />
    </div>
  );
}
