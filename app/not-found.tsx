import Link from "next/link";

export default function NotFound() {
  return (
    <main className="shell-main">
      <div className="card error-state">
        <h2>We could not find that page</h2>
        <p>The link may be wrong, or the team or invoice no longer exists.</p>
        <Link className="btn" href="/">
          Back to your teams
        </Link>
      </div>
    </main>
  );
}
