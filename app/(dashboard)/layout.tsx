import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "../../components/layout/sign-out-button";
import { WalletButton } from "../../components/wallet/wallet-button";
import { currentSession } from "../../lib/auth/current";
import { shortAddress } from "../../lib/format/text";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  // Without a session each page redirects to the sign-in page with its own return address.
  const session = await currentSession();
  if (!session) return <main className="shell-main">{children}</main>;
  return (
    <>
      <header className="shell-header">
        <Link href="/" className="shell-brand">
          Prepaid billing
        </Link>
        <Link href="/teams">Teams</Link>
        <Link href="/stakers">Stakers</Link>
        <span className="shell-spacer" />
        <span className="mono small" title={session.wallet} data-testid="session-wallet">
          {shortAddress(session.wallet)}
        </span>
        <WalletButton />
        <SignOutButton />
      </header>
      <main className="shell-main">{children}</main>
    </>
  );
}
