"use client";
import { useWallet } from "@solana/wallet-adapter-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiPost } from "../../lib/client/api";

export function SignOutButton() {
  const router = useRouter();
  const { disconnect } = useWallet();
  const [busy, setBusy] = useState(false);
  async function signOut() {
    setBusy(true);
    // The session ends on the server even if the wallet does not answer.
    await apiPost("/api/auth/sign-out").catch(() => undefined);
    await disconnect().catch(() => undefined);
    router.replace("/sign-in");
    router.refresh();
  }
  return (
    <button className="btn btn-small" onClick={signOut} disabled={busy}>
      Sign out
    </button>
  );
}
