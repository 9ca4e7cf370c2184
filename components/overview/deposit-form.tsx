"use client";
import { useState, type FormEvent } from "react";
import { useSignedAction } from "../wallet/use-signed-action";
import { ActionStatus } from "./action-status";

/** Deposit USDC from the connected wallet into the team's vault (the wallet signs deposit_funds). */
export function DepositForm({ teamId, sessionWallet, walletBalanceText }: { teamId: string; sessionWallet: string; walletBalanceText: string | null }) {
  const { state, run, busy } = useSignedAction(teamId, sessionWallet);
  const [amount, setAmount] = useState("");

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await run("deposit", { amount }, `Deposited ${amount} USDC.`)) setAmount("");
  }

  return (
    <div className="card" data-testid="deposit-card">
      <h2>Deposit</h2>
      <p className="small muted">
        Move USDC from your wallet into the team&apos;s vault. Anyone can deposit; only the owner can withdraw.
        {walletBalanceText ? ` Your wallet holds ${walletBalanceText}.` : ""}
      </p>
      <form className="inline" onSubmit={submit}>
        <label>
          Amount (USDC)
          <input
            name="amount"
            inputMode="decimal"
            pattern="[0-9]+([.][0-9]{1,6})?"
            required
            placeholder="25"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            data-testid="deposit-amount"
          />
        </label>
        <button className="btn btn-primary" disabled={busy} data-testid="deposit-submit">
          Deposit
        </button>
      </form>
      <ActionStatus state={state} />
    </div>
  );
}
