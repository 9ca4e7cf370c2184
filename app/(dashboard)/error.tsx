"use client";

// Last resort for a failure no page turned into an error state of its own.
export default function DashboardError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="card error-state" role="alert">
      <h2>Something went wrong</h2>
      <p>This page could not be shown. It may be a passing problem with the ledger or the network.</p>
      <button className="btn" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
