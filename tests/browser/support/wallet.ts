// A Wallet Standard wallet for tests: registered in the page before any script runs, it connects to a
// keypair held by the test process and signs messages and transactions there (exposed functions), so
// the dashboard talks to it exactly as to Phantom or Solflare through the wallet adapter.
import { ed25519 } from "@noble/curves/ed25519";
import { Keypair, Transaction } from "@solana/web3.js";
import type { Page } from "playwright-core";

export const TEST_WALLET_NAME = "Test Wallet";

export interface MockWalletControl {
  /** Signatures made so far, by kind. */
  signed: { messages: number; transactions: number };
  /** When set, the next signing request is declined with this message (then cleared). */
  declineNext: string | null;
}

/** Registers the wallet in `page` (call before the first navigation). */
export async function installMockWallet(page: Page, keypair: Keypair): Promise<MockWalletControl> {
  const control: MockWalletControl = { signed: { messages: 0, transactions: 0 }, declineNext: null };
  const declined = () => {
    const reason = control.declineNext;
    control.declineNext = null;
    return reason;
  };
  await page.exposeFunction("__testWalletSignMessage", (base64: string) => {
    const reason = declined();
    if (reason) throw new Error(reason);
    control.signed.messages += 1;
    return Buffer.from(ed25519.sign(Buffer.from(base64, "base64"), keypair.secretKey.slice(0, 32))).toString("base64");
  });
  await page.exposeFunction("__testWalletSignTransaction", (base64: string) => {
    const reason = declined();
    if (reason) throw new Error(reason);
    control.signed.transactions += 1;
    const tx = Transaction.from(Buffer.from(base64, "base64"));
    tx.partialSign(keypair);
    return tx.serialize({ requireAllSignatures: false, verifySignatures: false }).toString("base64");
  });
  await page.addInitScript({ content: walletScript(keypair.publicKey.toBase58(), Array.from(keypair.publicKey.toBytes())) });
  return control;
}

/**
 * The page side, as plain JavaScript source: a function passed to addInitScript would be serialized after
 * the test's TypeScript transform, which may reference helpers the page does not have.
 */
function walletScript(address: string, publicKey: number[]): string {
  return `(() => {
  const name = ${JSON.stringify(TEST_WALLET_NAME)};
  const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const chains = ["solana:localnet", "solana:devnet", "solana:testnet", "solana:mainnet"];
  const account = {
    address: ${JSON.stringify(address)},
    publicKey: new Uint8Array(${JSON.stringify(publicKey)}),
    chains,
    features: ["solana:signMessage", "solana:signTransaction"],
    label: name,
  };
  const listeners = {};
  let accounts = [];
  const emit = () => (listeners.change || []).forEach((l) => l({ accounts }));
  const wallet = {
    version: "1.0.0",
    name,
    icon: "data:image/svg+xml;base64," + btoa('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" fill="#4f46e5"/></svg>'),
    chains,
    get accounts() { return accounts; },
    features: {
      "standard:connect": { version: "1.0.0", connect: async () => { accounts = [account]; emit(); return { accounts }; } },
      "standard:disconnect": { version: "1.0.0", disconnect: async () => { accounts = []; emit(); } },
      "standard:events": {
        version: "1.0.0",
        on: (event, listener) => {
          (listeners[event] = listeners[event] || []).push(listener);
          return () => { listeners[event] = (listeners[event] || []).filter((l) => l !== listener); };
        },
      },
      "solana:signMessage": {
        version: "1.0.0",
        signMessage: async (...inputs) => Promise.all(inputs.map(async ({ message }) => ({
          signedMessage: message,
          signature: fromBase64(await window.__testWalletSignMessage(toBase64(message))),
        }))),
      },
      "solana:signTransaction": {
        version: "1.0.0",
        supportedTransactionVersions: ["legacy", 0],
        signTransaction: async (...inputs) => Promise.all(inputs.map(async ({ transaction }) => ({
          signedTransaction: fromBase64(await window.__testWalletSignTransaction(toBase64(transaction))),
        }))),
      },
    },
  };
  const register = (api) => api.register(wallet);
  window.addEventListener("wallet-standard:app-ready", (event) => register(event.detail));
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: register }));
})();`;
}
