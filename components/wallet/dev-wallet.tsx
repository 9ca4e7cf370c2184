"use client";
// The local dev wallet of the embedded default (localnet with a faucet only): a Wallet Standard wallet
// living in this browser, so the product can be tried without installing a wallet. Its key is generated
// on first use and kept in localStorage — acceptable for a throwaway key on a local chain, never offered
// anywhere else (the server renders this component only when FAUCET_URL is set on localnet). On its first
// connection it asks the local faucet (through /api/dev/faucet) for SOL and test USDC.
import { ed25519 } from "@noble/curves/ed25519";
import { Keypair, Transaction, VersionedTransaction } from "@solana/web3.js";
import { useEffect } from "react";
import { bytesToBase64, base64ToBytes } from "../../lib/client/encoding";

export const DEV_WALLET_NAME = "Local dev wallet";
const KEY_STORAGE = "pb.devWallet.secretKey";
const FUNDED_STORAGE = "pb.devWallet.funded";
const CHAINS = ["solana:localnet"] as const;
const ICON =
  "data:image/svg+xml;base64," +
  // A small green square with "D": the wallet's icon in the adapter's list.
  "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAzMiAzMiI+PHJlY3Qgd2lkdGg9IjMyIiBoZWlnaHQ9IjMyIiByeD0iNyIgZmlsbD0iIzE1ODAzZCIvPjx0ZXh0IHg9IjE2IiB5PSIyMiIgZm9udC1zaXplPSIxNiIgZm9udC1mYW1pbHk9InNhbnMtc2VyaWYiIGZpbGw9IiNmZmYiIHRleHQtYW5jaG9yPSJtaWRkbGUiPkQ8L3RleHQ+PC9zdmc+";

function loadKeypair(): Keypair {
  const stored = window.localStorage.getItem(KEY_STORAGE);
  if (stored) {
    try {
      return Keypair.fromSecretKey(base64ToBytes(stored));
    } catch {
      // A damaged entry: start a new wallet.
    }
  }
  const keypair = Keypair.generate();
  window.localStorage.setItem(KEY_STORAGE, bytesToBase64(keypair.secretKey));
  return keypair;
}

async function fundOnce(address: string): Promise<void> {
  if (window.localStorage.getItem(FUNDED_STORAGE) === address) return;
  const res = await fetch("/api/dev/faucet", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ wallet: address }),
    credentials: "same-origin",
  });
  // Funding is a convenience: a failed faucet leaves an empty wallet, which deposits then say in words.
  if (res.ok) window.localStorage.setItem(FUNDED_STORAGE, address);
}

function signTransactionBytes(bytes: Uint8Array, keypair: Keypair): Uint8Array {
  // A v0 message starts with the version prefix bit; legacy transactions are read by Transaction.from.
  try {
    const tx = Transaction.from(bytes);
    tx.partialSign(keypair);
    return new Uint8Array(tx.serialize({ requireAllSignatures: false, verifySignatures: false }));
  } catch {
    const tx = VersionedTransaction.deserialize(bytes);
    tx.sign([keypair]);
    return tx.serialize();
  }
}

function createDevWallet() {
  let keypair: Keypair | null = null;
  let accounts: Array<Record<string, unknown>> = [];
  const listeners: Record<string, Array<(props: unknown) => void>> = {};
  const emit = () => (listeners.change ?? []).forEach((l) => l({ accounts }));
  const requireKey = () => {
    if (!keypair) throw new Error("the local dev wallet is not connected");
    return keypair;
  };
  return {
    version: "1.0.0" as const,
    name: DEV_WALLET_NAME,
    icon: ICON,
    chains: CHAINS,
    get accounts() {
      return accounts;
    },
    features: {
      "standard:connect": {
        version: "1.0.0",
        connect: async () => {
          keypair ??= loadKeypair();
          const address = keypair.publicKey.toBase58();
          accounts = [
            {
              address,
              publicKey: keypair.publicKey.toBytes(),
              chains: CHAINS,
              features: ["solana:signMessage", "solana:signTransaction"],
              label: DEV_WALLET_NAME,
            },
          ];
          emit();
          await fundOnce(address).catch(() => undefined);
          return { accounts };
        },
      },
      "standard:disconnect": {
        version: "1.0.0",
        disconnect: async () => {
          accounts = [];
          emit();
        },
      },
      "standard:events": {
        version: "1.0.0",
        on: (event: string, listener: (props: unknown) => void) => {
          (listeners[event] ??= []).push(listener);
          return () => {
            listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
          };
        },
      },
      "solana:signMessage": {
        version: "1.0.0",
        signMessage: async (...inputs: Array<{ message: Uint8Array }>) =>
          inputs.map(({ message }) => ({ signedMessage: message, signature: ed25519.sign(message, requireKey().secretKey.slice(0, 32)) })),
      },
      "solana:signTransaction": {
        version: "1.0.0",
        supportedTransactionVersions: ["legacy", 0],
        signTransaction: async (...inputs: Array<{ transaction: Uint8Array }>) =>
          inputs.map(({ transaction }) => ({ signedTransaction: signTransactionBytes(transaction, requireKey()) })),
      },
    },
  };
}

let registered = false;

/** Registers the local dev wallet with the page's Wallet Standard registry (once per page). */
export function DevWallet() {
  useEffect(() => {
    if (registered) return;
    registered = true;
    const wallet = createDevWallet();
    const register = (api: { register: (wallet: unknown) => unknown }) => api.register(wallet);
    window.addEventListener("wallet-standard:app-ready", (event) => register((event as CustomEvent).detail));
    window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: register }));
  }, []);
  return null;
}
