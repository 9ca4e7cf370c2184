import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInPanel } from "../../components/wallet/sign-in-panel";
import { currentSession } from "../../lib/auth/current";
import { serverEnv } from "../../lib/env";
import { safeReturnPath } from "../../lib/navigation";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeReturnPath((await searchParams).next);
  if (await currentSession()) redirect(next);
  return (
    <main className="shell-main">
      <SignInPanel next={next} devWallet={serverEnv().faucetUrl !== null} />
    </main>
  );
}
