"use client";
// Sign in: connect a wallet, sign the server's challenge, get a session cookie.
import { useWallet } from "@solana/wallet-adapter-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiPost, describeError } from "../../lib/client/api";
import { bytesToBase64 } from "../../lib/client/encoding";
import { WalletButton } from "./wallet-button";

export function SignInPanel({ next, devWallet }: { next: string; devWallet: boolean }) {
  const { publicKey, signMessage, connected, wallet } = useWallet();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signIn() {
    if (!publicKey) return;
    if (!signMessage) {
      setError(`${wallet?.adapter.name ?? "This wallet"} cannot sign messages, so it cannot be used to sign in.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { message } = await apiPost<{ message: string }>("/api/auth/challenge", { wallet: publicKey.toBase58() });
      const signature = await signMessage(new TextEncoder().encode(message));
      await apiPost("/api/auth/verify", { signature: bytesToBase64(signature) });
      router.replace(next);
      router.refresh();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  return (
    <div className="card sign-in">
      <h1>Sign in</h1>
      <p className="muted">
        Connect a Solana wallet, then sign a short message to prove it is yours. Signing costs nothing and moves no funds.
      </p>
      <div className="row" style={{ margin: "1rem 0" }}>
        <WalletButton />
      </div>
      {connected && publicKey ? (
        <div className="row">
          <button className="btn btn-primary" onClick={signIn} disabled={busy} data-testid="sign-in">
            {busy ? "Waiting for your wallet…" : "Sign in with this wallet"}
          </button>
        </div>
      ) : devWallet ? (
        <p className="small muted" data-testid="dev-wallet-hint">
          Trying it out locally? Choose <strong>Local dev wallet</strong>: it lives in this browser and gets test SOL and USDC from the local
          faucet. Any wallet that supports the Wallet Standard (Phantom, Solflare, Backpack…) pointed at the local network works too.
        </p>
      ) : (
        <p className="small muted">No wallet? Install one that supports the Wallet Standard (Phantom, Solflare, Backpack…) and reload.</p>
      )}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
