"use client";
import { useState, type FormEvent } from "react";
import { useSignedAction } from "../wallet/use-signed-action";
import { ActionStatus } from "./action-status";
import { Countdown } from "./countdown";

export interface WithdrawalProps {
  teamId: string;
  sessionWallet: string;
  isOwner: boolean;
  /** Formatted amounts. */
  pendingText: string | null;
  maxText: string;
  noticeText: string;
  /** Unix seconds; null without a pending request. */
  unlockAt: number | null;
  nowSecs: number;
}

/** Request a withdrawal (0 cancels), then execute it once the notice period has passed. Owner only. */
export function WithdrawalCard(props: WithdrawalProps) {
  const { state, run, busy } = useSignedAction(props.teamId, props.sessionWallet);
  const [amount, setAmount] = useState("");
  const ready = props.unlockAt !== null && props.unlockAt <= props.nowSecs;

  async function request(event: FormEvent) {
    event.preventDefault();
    if (await run("request_withdrawal", { amount }, amount === "0" ? "Withdrawal request cancelled." : `Withdrawal of ${amount} USDC requested.`)) setAmount("");
  }

  return (
    <div className="card" data-testid="withdrawal-card">
      <h2>Withdraw</h2>
      {props.pendingText ? (
        <p data-testid="pending-withdrawal">
          Pending withdrawal: <strong>{props.pendingText}</strong>, executable <Countdown untilSecs={props.unlockAt ?? 0} />.
        </p>
      ) : (
        <p className="small muted">
          Unused funds can always leave the vault: request a withdrawal, then execute it after the notice period of {props.noticeText}.
        </p>
      )}
      {props.isOwner ? (
        <>
          <form className="inline" onSubmit={request}>
            <label>
              Amount (USDC, 0 cancels)
              <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" required placeholder={props.maxText} />
            </label>
            <button className="btn" disabled={busy}>
              {props.pendingText ? "Replace request" : "Request withdrawal"}
            </button>
            {props.pendingText ? (
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy || !ready}
                title={ready ? undefined : "The notice period has not ended yet"}
                onClick={() => run("withdraw", {}, "Withdrawn to your wallet.")}
              >
                Execute withdrawal
              </button>
            ) : null}
          </form>
          <p className="small muted">At most {props.maxText} (the vault less any unpaid debt).</p>
        </>
      ) : (
        <p className="small muted">Only the team&apos;s owner can withdraw.</p>
      )}
      <ActionStatus state={state} />
    </div>
  );
}
