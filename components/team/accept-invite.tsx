"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiPost, describeError } from "../../lib/client/api";

/** Joins the team with the invitation token; the member's X-User-ID defaults to the wallet address. */
export function AcceptInvite({ token }: { token: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [userId, setUserId] = useState("");
  async function accept() {
    setBusy(true);
    setError(null);
    try {
      const joined = await apiPost<{ teamId: string }>("/api/invitations/accept", { token, userId: userId.trim() || undefined });
      router.replace(`/teams/${joined.teamId}`);
      router.refresh();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }
  return (
    <div className="card sign-in" data-testid="accept-invite">
      <h1>Join a team</h1>
      <p>You were invited to a team. Joining adds this wallet to it; you can then call its API with the team&apos;s key.</p>
      <label>
        Your user id for the X-User-ID header (optional; defaults to your wallet address)
        <input value={userId} onChange={(e) => setUserId(e.target.value)} maxLength={64} placeholder="alice" />
      </label>
      <div className="row" style={{ marginTop: "1rem" }}>
        <button className="btn btn-primary" onClick={accept} disabled={busy} data-testid="accept-invite-button">
          {busy ? "Joining…" : "Accept the invitation"}
        </button>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
