"use client";

// Last resort outside the dashboard (the sign-in page): words and a retry, never a stack trace.
export default function RootError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="shell-main">
      <div className="card error-state" role="alert">
        <h2>Something went wrong</h2>
        <p>This page could not be shown. It may be a passing problem; try again in a moment.</p>
        <button className="btn" onClick={reset}>
          Try again
        </button>
      </div>
    </main>
  );
}
