import type { TeamAccess } from "../../lib/auth/access";
import { DepositForm } from "./deposit-form";

/** What a Member sees: how to call the API as themselves, and the deposit form (the role table gives them no usage view). */
export function MemberOverview({ access, walletBalanceText }: { access: TeamAccess; walletBalanceText: string | null }) {
  return (
    <>
      <div className="card" data-testid="member-overview">
        <h2>You are a member of {access.team.name}</h2>
        <p>
          Call the team&apos;s API with the team&apos;s API key and the header <code>X-User-ID: {access.me.userId}</code>, so your requests are
          counted as yours
          {access.me.allocation !== null ? " and against your allocation" : ""}.
        </p>
        <p className="small muted">
          The balance, usage, billing history, invoices and API keys are visible to the team&apos;s owner and admins only.
        </p>
      </div>
      <DepositForm teamId={access.teamId} sessionWallet={access.wallet} walletBalanceText={walletBalanceText} />
    </>
  );
}
