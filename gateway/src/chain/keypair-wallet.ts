// An anchor Wallet over a keypair that signs with Node's native Ed25519. Ed25519 signatures are
// deterministic, so these are the very bytes web3.js's pure-JS signer produces, at ~0.06 ms instead of
// ~1.7 ms here: the gateway signs its settlement transactions on the event loop that also admits
// requests, so a slow signature is a stall every request queued behind it waits out.
// (anchor's own `Wallet` class exists only in its Node entry point, not in the ESM build Next.js bundles.)
import type { Wallet } from "@coral-xyz/anchor";
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { Transaction, VersionedTransaction, type Keypair } from "@solana/web3.js";

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

function privateKeyOf(keypair: { secretKey: Uint8Array }): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, keypair.secretKey.subarray(0, 32)]), format: "der", type: "pkcs8" });
}

/** Signs messages with a keypair's secret key (Node's Ed25519): the 64-byte signature. */
export function nativeSigner(keypair: { secretKey: Uint8Array }): (message: Uint8Array) => Uint8Array {
  const key = privateKeyOf(keypair);
  return (message) => new Uint8Array(sign(null, message, key));
}

export function keypairWallet(payer: Keypair): Wallet {
  const key = privateKeyOf(payer);
  const signTx = <T extends Transaction | VersionedTransaction>(tx: T): T => {
    if (tx instanceof VersionedTransaction) {
      tx.addSignature(payer.publicKey, new Uint8Array(sign(null, tx.message.serialize(), key)));
    } else {
      // serializeMessage compiles the transaction and lists its signers; addSignature refuses a non-signer.
      tx.addSignature(payer.publicKey, sign(null, tx.serializeMessage(), key));
    }
    return tx;
  };
  return {
    payer,
    publicKey: payer.publicKey,
    signTransaction: async (tx) => signTx(tx),
    signAllTransactions: async (txs) => txs.map(signTx),
  };
}
