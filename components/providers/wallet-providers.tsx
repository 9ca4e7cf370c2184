"use client";
// ConnectionProvider › WalletProvider › WalletModalProvider. Wallets are found through the Wallet
// Standard (any installed wallet that registers itself: Phantom, Solflare, Backpack, a test wallet…):
// `useStandardWalletAdapters([])` turns each registered wallet into an adapter, so no wallet-specific
// adapter packages are bundled.
import { ConnectionProvider, WalletProvider } from "@solana/wallet-adapter-react";
import { WalletModalProvider } from "@solana/wallet-adapter-react-ui";
import { useStandardWalletAdapters } from "@solana/wallet-standard-wallet-adapter-react";
import type { Adapter, WalletError } from "@solana/wallet-adapter-base";
import { useCallback, useMemo, type ReactNode } from "react";

const NO_ADAPTERS: Adapter[] = [];

export function WalletProviders({ rpcUrl, children }: { rpcUrl: string; children: ReactNode }) {
  // Memoised so the connection is created once per endpoint, not on every render.
  const endpoint = useMemo(() => rpcUrl, [rpcUrl]);
  const config = useMemo(() => ({ commitment: "confirmed" as const }), []);
  const wallets = useStandardWalletAdapters(NO_ADAPTERS);
  // Wallet errors are shown where the user acted (sign-in, deposit…); here they are only logged.
  const onError = useCallback((error: WalletError) => console.warn("wallet:", error.name, error.message), []);
  return (
    <ConnectionProvider endpoint={endpoint} config={config}>
      <WalletProvider wallets={wallets} autoConnect onError={onError} localStorageKey="pb.wallet">
        <WalletModalProvider>{children}</WalletModalProvider>
      </WalletProvider>
    </ConnectionProvider>
  );
}
