"use client";
import { useState } from "react";
import { apiPost, describeError } from "../../lib/client/api";

interface Verification {
  recomputedRoot: string;
  onChainRoot: string | null;
  recordCount: number;
  matches: boolean;
}

/** Recomputes a settled batch's usage root from the ledger's records and compares it with the chain's. */
export function VerifyButton({ teamId, batchId }: { teamId: string; batchId: string }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function verify() {
    setBusy(true);
    setError(null);
    try {
      setResult(await apiPost<Verification>(`/api/teams/${teamId}/batches/${encodeURIComponent(batchId)}/verify`));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  if (result) {
    return result.matches ? (
      <span className="badge badge-ok" data-testid="verify-result" data-matches="true" title={`root ${result.recomputedRoot}`}>
        ✓ matches the chain ({result.recordCount === 1 ? "1 record" : `${result.recordCount} records`})
      </span>
    ) : (
      <span className="badge badge-danger" data-testid="verify-result" data-matches="false" title={`recomputed ${result.recomputedRoot}, on chain ${result.onChainRoot ?? "none"}`}>
        {result.onChainRoot === null ? "not settled on chain yet" : "✗ does not match the chain"}
      </span>
    );
  }
  return (
    <>
      <button className="btn btn-small" onClick={verify} disabled={busy} data-testid="verify-button">
        {busy ? "Verifying…" : "Verify"}
      </button>
      {error ? (
        <span className="form-error small" role="alert">
          {" "}
          {error}{" "}
          <button className="btn btn-small" onClick={verify}>
            Retry
          </button>
        </span>
      ) : null}
    </>
  );
}
