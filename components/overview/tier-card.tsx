"use client";
import { useSignedAction } from "../wallet/use-signed-action";
import { ActionStatus } from "./action-status";

export interface TierChoice {
  id: number;
  name: string;
  terms: string;
  /** Upgrade: the prorated price charged now, formatted; null for a downgrade. */
  upgradePriceText: string | null;
}

export interface TierCardProps {
  teamId: string;
  sessionWallet: string;
  isOwner: boolean;
  current: { name: string; terms: string };
  pendingName: string | null;
  choices: TierChoice[];
}

/** The current tier; upgrades (prorated price shown before signing) and downgrades (next period). */
export function TierCard(props: TierCardProps) {
  const { state, run, busy } = useSignedAction(props.teamId, props.sessionWallet);
  return (
    <div className="card" data-testid="tier-card">
      <h2>Tier: {props.current.name}</h2>
      <p className="small muted">{props.current.terms}</p>
      {props.pendingName ? <p className="small">Changes to {props.pendingName} at the start of the next period.</p> : null}
      {props.isOwner ? (
        <div className="row">
          {props.choices.map((c) => (
            <button
              key={c.id}
              className={c.upgradePriceText ? "btn btn-primary btn-small" : "btn btn-small"}
              disabled={busy}
              title={c.terms}
              onClick={() =>
                run("update_tier", { tier: c.id }, c.upgradePriceText ? `Upgraded to ${c.name}.` : `${c.name} takes effect next period.`)
              }
            >
              {c.upgradePriceText ? `Upgrade to ${c.name} — ${c.upgradePriceText} now` : `Downgrade to ${c.name} next period`}
            </button>
          ))}
        </div>
      ) : (
        <p className="small muted">Only the team&apos;s owner can change the tier.</p>
      )}
      <ActionStatus state={state} />
    </div>
  );
}
