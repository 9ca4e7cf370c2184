"use client";
// Build → sign → submit for one of the team's transactions (lib/api/transactions.ts). The wallet only
// signs; the server built the transaction and submits it, so every step's failure comes back in words.
import { useWallet } from "@solana/wallet-adapter-react";
import { Transaction } from "@solana/web3.js";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import { apiPost, describeError } from "../../lib/client/api";
import { base64ToBytes, bytesToBase64 } from "../../lib/client/encoding";

export type ActionPhase = "idle" | "building" | "signing" | "confirming" | "done" | "error";

export interface ActionState {
  phase: ActionPhase;
  /** What is being signed (from the server), an error in words, or the success note. */
  message: string | null;
  signature: string | null;
}

const IDLE: ActionState = { phase: "idle", message: null, signature: null };

export function phaseLabel(phase: ActionPhase): string | null {
  if (phase === "building") return "Preparing the transaction…";
  if (phase === "signing") return "Approve the transaction in your wallet…";
  if (phase === "confirming") return "Waiting for the network to confirm…";
  return null;
}

export function useSignedAction(teamId: string, sessionWallet: string) {
  const { publicKey, signTransaction, connected } = useWallet();
  const router = useRouter();
  const [state, setState] = useState<ActionState>(IDLE);

  const run = useCallback(
    async (action: string, params: Record<string, unknown>, doneMessage: string): Promise<boolean> => {
      if (!connected || !publicKey) {
        setState({ phase: "error", message: "Connect your wallet first (the wallet button at the top of the page).", signature: null });
        return false;
      }
      if (publicKey.toBase58() !== sessionWallet) {
        setState({
          phase: "error",
          message: `Your wallet is connected as ${publicKey.toBase58().slice(0, 4)}…, but you signed in as ${sessionWallet.slice(0, 4)}…. Switch your wallet to the account you signed in with.`,
          signature: null,
        });
        return false;
      }
      if (!signTransaction) {
        setState({ phase: "error", message: "This wallet cannot sign transactions.", signature: null });
        return false;
      }
      try {
        setState({ phase: "building", message: null, signature: null });
        const built = await apiPost<{ transaction: string; lastValidBlockHeight: number; summary: string }>(`/api/teams/${teamId}/transactions`, {
          action,
          ...params,
        });
        setState({ phase: "signing", message: built.summary, signature: null });
        const signed = await signTransaction(Transaction.from(base64ToBytes(built.transaction)));
        setState({ phase: "confirming", message: built.summary, signature: null });
        const { signature } = await apiPost<{ signature: string }>(`/api/teams/${teamId}/transactions/submit`, {
          transaction: bytesToBase64(signed.serialize()),
          lastValidBlockHeight: built.lastValidBlockHeight,
        });
        setState({ phase: "done", message: doneMessage, signature });
        router.refresh();
        return true;
      } catch (error) {
        setState({ phase: "error", message: describeError(error), signature: null });
        return false;
      }
    },
    [connected, publicKey, router, sessionWallet, signTransaction, teamId],
  );

  const reset = useCallback(() => setState(IDLE), []);
  const busy = state.phase === "building" || state.phase === "signing" || state.phase === "confirming";
  return { state, run, reset, busy };
}
