import assert from "node:assert/strict";
import { AnchorError, translateError } from "@coral-xyz/anchor";
import { TOKEN_PROGRAM_ID, createTransferInstruction } from "@solana/spl-token";
import { Keypair, SendTransactionError, SystemProgram, Transaction, TransactionMessage, VersionedTransaction } from "@solana/web3.js";
import { LiteSVM } from "litesvm";
import { LiteSvmProvider, advanceClock, createMint, createTokenAccount, mintInfo, mintTo, now, tokenBalance, transfer, warpTo } from "./index";

describe("LiteSvmProvider", () => {
  let provider: LiteSvmProvider;
  beforeEach(() => {
    provider = new LiteSvmProvider(new LiteSVM());
  });

  async function fundedAccounts(amount: bigint) {
    const mint = await createMint(provider);
    const alice = Keypair.generate();
    const bob = Keypair.generate();
    const from = await createTokenAccount(provider, mint, alice.publicKey);
    const to = await createTokenAccount(provider, mint, bob.publicKey);
    await mintTo(provider, mint, from, amount);
    return { mint, alice, bob, from, to };
  }

  it("moves USDC-like tokens with the real SPL token program", async () => {
    const { mint, alice, from, to } = await fundedAccounts(100_000_000n);
    assert.deepEqual(await mintInfo(provider, mint), { supply: 100_000_000n, decimals: 6 });
    const signature = await transfer(provider, from, to, alice, 40_000_000n);
    assert.equal(await tokenBalance(provider, from), 60_000_000n);
    assert.equal(await tokenBalance(provider, to), 40_000_000n);
    const last = provider.lastTransaction;
    assert.ok(last);
    assert.equal(last.signature, signature);
    assert.equal(last.error, null);
    assert.ok(last.computeUnits > 0);
    assert.ok(last.logs.some((l) => l.startsWith(`Program ${TOKEN_PROGRAM_ID.toBase58()} invoke [1]`)));
    const fetched = await provider.connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
    assert.deepEqual(fetched?.meta?.logMessages, last.logs);
  });

  it("throws SendTransactionError with the logs and the custom error code when a transaction fails", async () => {
    const { alice, from, to } = await fundedAccounts(5n);
    await assert.rejects(transfer(provider, from, to, alice, 6n), (err: unknown) => {
      assert.ok(err instanceof SendTransactionError);
      assert.match(err.message, /Error processing Instruction 0: custom program error: 0x1/);
      assert.ok(err.logs?.some((l) => l.includes("insufficient funds")));
      return true;
    });
    assert.equal(provider.lastTransaction?.customErrorCode, 1);
    assert.equal(await tokenBalance(provider, from), 5n, "a failed transaction changes nothing");
  });

  it("hands failures to anchor's translateError, which finds no AnchorError in a token program failure", async () => {
    const { alice, from, to } = await fundedAccounts(1n);
    const err = await transfer(provider, from, to, alice, 2n).catch((e: unknown) => e);
    const translated = translateError(err, new Map());
    assert.ok(!(translated instanceof AnchorError));
    assert.ok(Array.isArray((translated as { logs?: string[] }).logs));
  });

  it("executes two identical transactions as two (the blockhash expires after each)", async () => {
    const { alice, from, to } = await fundedAccounts(10n);
    const a = await transfer(provider, from, to, alice, 1n);
    const b = await transfer(provider, from, to, alice, 1n);
    assert.notEqual(a, b);
    assert.equal(await tokenBalance(provider, to), 2n);
  });

  it("simulates without committing and reports logs and compute units", async () => {
    const { alice, from, to } = await fundedAccounts(10n);
    const sim = await provider.simulate(new Transaction().add(createTransferInstruction(from, to, alice.publicKey, 3n)), [alice]);
    assert.ok((sim.unitsConsumed ?? 0) > 0);
    assert.ok(sim.logs?.some((l) => l.startsWith(`Program ${TOKEN_PROGRAM_ID.toBase58()} consumed`)));
    assert.equal(await tokenBalance(provider, to), 0n);
    await assert.rejects(provider.simulate(new Transaction().add(createTransferInstruction(from, to, alice.publicKey, 11n)), [alice]), SendTransactionError);
  });

  it("sends v0 transactions and several transactions with sendAll", async () => {
    const { alice, from, to } = await fundedAccounts(10n);
    const message = new TransactionMessage({
      payerKey: provider.publicKey,
      recentBlockhash: (await provider.connection.getLatestBlockhash()).blockhash,
      instructions: [createTransferInstruction(from, to, alice.publicKey, 4n)],
    }).compileToV0Message();
    await provider.sendAndConfirm(new VersionedTransaction(message), [alice]);
    const sigs = await provider.sendAll([
      { tx: new Transaction().add(createTransferInstruction(from, to, alice.publicKey, 1n)), signers: [alice] },
      { tx: new Transaction().add(createTransferInstruction(from, to, alice.publicKey, 2n)), signers: [alice] },
    ]);
    assert.equal(sigs.length, 2);
    assert.equal(await tokenBalance(provider, to), 7n);
  });

  it("answers the connection reads anchor and spl-token use", async () => {
    const { mint, from } = await fundedAccounts(1n);
    const [a, missing] = await provider.connection.getMultipleAccountsInfo([from, Keypair.generate().publicKey]);
    assert.ok(a?.owner.equals(TOKEN_PROGRAM_ID));
    assert.equal(missing, null);
    const withContext = await provider.connection.getAccountInfoAndContext(mint);
    assert.equal(withContext.value?.data.length, 82);
    assert.equal(await provider.connection.getMinimumBalanceForRentExemption(165), Number(provider.svm.minimumBalanceForRentExemption(165n)));
    const before = (await provider.connection.getLatestBlockhash()).blockhash;
    await provider.sendAndConfirm(new Transaction().add(SystemProgram.transfer({ fromPubkey: provider.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1_000_000 })));
    assert.notEqual((await provider.connection.getLatestBlockhash()).blockhash, before);
  });

  it("moves the Clock sysvar to a given unix time and forward", () => {
    warpTo(provider.svm, 1_800_000_000n);
    assert.equal(now(provider.svm), 1_800_000_000n);
    assert.equal(advanceClock(provider.svm, 900n), 1_800_000_900n);
    assert.equal(now(provider.svm), 1_800_000_900n);
  });
});
