import Link from "next/link";

// Rendered with HTTP 403 when a page calls forbidden(): the wallet's role does not allow it.
export default function Forbidden() {
  return (
    <main className="shell-main">
      <div className="card error-state" data-testid="forbidden">
        <h2>You do not have access to this page</h2>
        <p>Your role in this team does not allow it. Ask the team&apos;s owner if you need access.</p>
        <Link className="btn" href="/">
          Back to your teams
        </Link>
      </div>
    </main>
  );
}
