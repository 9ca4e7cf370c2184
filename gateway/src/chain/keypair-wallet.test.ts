import assert from "node:assert/strict";
import { Keypair, SystemProgram, Transaction, TransactionMessage, VersionedTransaction } from "@solana/web3.js";
import { keypairWallet } from "./keypair-wallet";

const BLOCKHASH = "11111111111111111111111111111111";

describe("keypair wallet (native Ed25519)", () => {
  it("signs a legacy transaction with exactly the signature web3.js computes", async () => {
    const payer = Keypair.generate();
    const build = () =>
      new Transaction({ feePayer: payer.publicKey, recentBlockhash: BLOCKHASH }).add(
        SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 5 }),
      );
    const tx = build();
    const reference = Transaction.from(tx.serialize({ requireAllSignatures: false, verifySignatures: false }));
    reference.sign(payer);
    await keypairWallet(payer).signTransaction(tx);
    assert.deepEqual(tx.signature, reference.signature);
    assert.ok(tx.verifySignatures());
  });

  it("adds its signature only, leaving another signer's slot for its owner", async () => {
    const payer = Keypair.generate();
    const other = Keypair.generate();
    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: BLOCKHASH }).add(
      SystemProgram.transfer({ fromPubkey: other.publicKey, toPubkey: payer.publicKey, lamports: 5 }),
    );
    await keypairWallet(payer).signTransaction(tx);
    assert.equal(tx.signatures.find((s) => s.publicKey.equals(other.publicKey))!.signature, null);
    assert.equal(tx.verifySignatures(false), true);
    tx.partialSign(other);
    assert.ok(tx.verifySignatures());
  });

  it("refuses to sign a transaction it is not a signer of", async () => {
    const tx = new Transaction({ feePayer: Keypair.generate().publicKey, recentBlockhash: BLOCKHASH }).add(
      SystemProgram.transfer({ fromPubkey: Keypair.generate().publicKey, toPubkey: Keypair.generate().publicKey, lamports: 5 }),
    );
    await assert.rejects(keypairWallet(Keypair.generate()).signTransaction(tx), /unknown signer/);
  });

  it("signs versioned transactions, also in a batch, as web3.js does", async () => {
    const payer = Keypair.generate();
    const message = () =>
      new TransactionMessage({
        payerKey: payer.publicKey,
        recentBlockhash: BLOCKHASH,
        instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 7 })],
      }).compileToV0Message();
    const txs = [new VersionedTransaction(message()), new VersionedTransaction(message())];
    const references = txs.map((t) => {
      const r = VersionedTransaction.deserialize(t.serialize());
      r.sign([payer]);
      return r;
    });
    await keypairWallet(payer).signAllTransactions(txs);
    txs.forEach((t, i) => assert.deepEqual(t.signatures[0], references[i]!.signatures[0]));
  });
});
