"use client";
// The wallet adapter's button reads the chosen wallet from localStorage: rendered in the browser only,
// so the server's HTML never disagrees with it.
import dynamic from "next/dynamic";

export const WalletButton = dynamic(() => import("@solana/wallet-adapter-react-ui").then((m) => m.WalletMultiButton), {
  ssr: false,
  loading: () => <span className="skeleton" style={{ width: 150, height: 34 }} aria-label="Loading wallet" />,
});
