import type { Metadata } from "next";
import type { ReactNode } from "react";
import "../components/theme/globals.css";
import "../components/wallet/wallet-adapter.css";
import { HydrationMark } from "../components/providers/hydration-mark";
import { WalletProviders } from "../components/providers/wallet-providers";
import { DevWallet } from "../components/wallet/dev-wallet";
import { serverEnv } from "../lib/env";

export const metadata: Metadata = {
  title: { default: "Prepaid billing", template: "%s · Prepaid billing" },
  description: "Prepaid USDC billing for APIs, settled on Solana.",
  icons: { icon: "/favicon.svg" },
};

// Every page depends on the session or on live chain data, and the RPC endpoint comes from the
// environment at run time, not at build time.
export const dynamic = "force-dynamic";

export default function RootLayout({ children }: { children: ReactNode }) {
  const env = serverEnv();
  return (
    <html lang="en">
      <body>
        <WalletProviders rpcUrl={env.rpcUrl}>{children}</WalletProviders>
        {/* After the providers: their Wallet Standard listener is subscribed by the time this registers. */}
        {env.faucetUrl ? <DevWallet /> : null}
        <HydrationMark />
      </body>
    </html>
  );
}
