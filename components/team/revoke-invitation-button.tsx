"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiDelete, describeError } from "../../lib/client/api";

export function RevokeInvitationButton({ teamId, invitationId }: { teamId: string; invitationId: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      await apiDelete(`/api/teams/${teamId}/invitations/${invitationId}`);
      router.refresh();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }
  return (
    <>
      <button className="btn btn-small btn-danger" onClick={revoke} disabled={busy}>
        Revoke
      </button>
      {error ? <span className="form-error small"> {error}</span> : null}
    </>
  );
}
