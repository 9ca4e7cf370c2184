// Sending, simulating and reading back transactions, on the wire and through web3.js: encodings,
// preflight and its error objects, what lands when preflight is skipped, signatures and blockhashes,
// history (statuses, getTransaction in every encoding, signatures by address), fees and airdrops.
import assert from "node:assert/strict";
import {
  AddressLookupTableProgram,
  ComputeBudgetProgram,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SendTransactionError,
  SystemProgram,
  Transaction,
  TransactionMessage,
  VersionedTransaction,
  sendAndConfirmTransaction,
  type Connection,
  type TransactionInstruction,
} from "@solana/web3.js";
import {
  createAssociatedTokenAccountInstruction,
  createMint,
  getAssociatedTokenAddressSync,
  getOrCreateAssociatedTokenAccount,
  mintTo,
  transfer,
} from "@solana/spl-token";
import { encodeBase58 } from "../base58";
import type { Simnet } from "../server";
import { call, connect, disconnect, fundedKeypair, result, startTestSimnet, waitFor, type RpcResponse } from "./helpers";

function transferTx(from: Keypair, to: PublicKey, lamports: number, blockhash: string, extra: TransactionInstruction[] = []): Transaction {
  const tx = new Transaction({ feePayer: from.publicKey, recentBlockhash: blockhash }).add(...extra, SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: to, lamports }));
  tx.sign(from);
  return tx;
}

describe("simnet transactions", () => {
  let sim: Simnet;
  let connection: Connection;
  let payer: Keypair;

  before(async () => {
    sim = await startTestSimnet();
    connection = connect(sim);
    payer = await fundedKeypair(connection, 100);
  });
  after(async () => {
    await disconnect(connection);
    await sim.close();
  });

  const blockhash = async () => (await connection.getLatestBlockhash()).blockhash;
  const statusOf = async (signature: string) => (await connection.getSignatureStatuses([signature], { searchTransactionHistory: true })).value[0];

  describe("sendTransaction", () => {
    it("takes base58 (the default) and base64 and returns the first signature", async () => {
      const to = Keypair.generate().publicKey;
      const a = transferTx(payer, to, LAMPORTS_PER_SOL, await blockhash());
      const sigA = await result<string>(sim.rpcUrl, "sendTransaction", [encodeBase58(a.serialize())]);
      assert.equal(sigA, encodeBase58(a.signature as Buffer));
      const b = transferTx(payer, to, LAMPORTS_PER_SOL + 1, await blockhash());
      const sigB = await result<string>(sim.rpcUrl, "sendTransaction", [b.serialize().toString("base64"), { encoding: "base64" }]);
      assert.equal(sigB, encodeBase58(b.signature as Buffer));
      assert.equal(await connection.getBalance(to), 2 * LAMPORTS_PER_SOL + 1);
      assert.equal((await statusOf(sigA))?.confirmationStatus, "finalized");
    });

    it("lands through web3.js sendAndConfirmTransaction (WebSocket confirmation)", async () => {
      const to = Keypair.generate().publicKey;
      const signature = await sendAndConfirmTransaction(connection, new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 5_000_000 })), [payer]);
      assert.equal((await statusOf(signature))?.err, null);
      assert.equal(await connection.getBalance(to), 5_000_000);
    });

    it("refuses a failing transaction in preflight with -32002, the error and the logs, and charges nothing", async () => {
      const before = await connection.getBalance(payer.publicKey);
      const tx = transferTx(payer, Keypair.generate().publicKey, 1_000 * LAMPORTS_PER_SOL, await blockhash());
      const r = await call(sim.rpcUrl, "sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }]);
      assert.equal(r.error?.code, -32002);
      assert.equal(r.error?.message, "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1");
      const data = r.error?.data as { err: unknown; logs: string[]; unitsConsumed: number; accounts: null; returnData: null };
      assert.deepEqual(data.err, { InstructionError: [0, { Custom: 1 }] });
      assert.ok(data.logs.some((l) => l.startsWith("Transfer: insufficient lamports")), data.logs.join("\n"));
      assert.ok(data.unitsConsumed > 0);
      assert.equal(data.accounts, null);
      assert.equal(await connection.getBalance(payer.publicKey), before);
      assert.equal(await statusOf(encodeBase58(tx.signature as Buffer)), null);
    });

    it("surfaces a preflight failure in web3.js as SendTransactionError carrying the logs", async () => {
      const tx = transferTx(payer, Keypair.generate().publicKey, 1_000 * LAMPORTS_PER_SOL, await blockhash());
      const err = await connection.sendRawTransaction(tx.serialize()).catch((e: unknown) => e);
      assert.ok(err instanceof SendTransactionError, String(err));
      assert.match(err.message, /custom program error: 0x1/);
      assert.ok((await err.getLogs(connection)).some((l) => l.includes("insufficient lamports")));
    });

    it("lands a failing transaction sent with skipPreflight: error status, fee charged, logs kept", async () => {
      const before = BigInt(await connection.getBalance(payer.publicKey));
      const tx = transferTx(payer, Keypair.generate().publicKey, 1_000 * LAMPORTS_PER_SOL, await blockhash());
      const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
      const status = await statusOf(signature);
      assert.deepEqual(status?.err, { InstructionError: [0, { Custom: 1 }] });
      assert.equal(BigInt(await connection.getBalance(payer.publicKey)), before - 5_000n);
      const landed = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
      assert.deepEqual(landed?.meta?.err, { InstructionError: [0, { Custom: 1 }] });
      assert.equal(landed?.meta?.fee, 5_000);
      assert.ok(landed?.meta?.logMessages?.some((l) => l.includes("insufficient lamports")));
    });

    it("refuses a bad signature with -32003 and drops it when preflight is skipped", async () => {
      const tx = transferTx(payer, Keypair.generate().publicKey, 1_000, await blockhash());
      const bytes = tx.serialize();
      bytes[10] ^= 0xff; // inside the first signature
      const r = await call(sim.rpcUrl, "sendTransaction", [bytes.toString("base64"), { encoding: "base64" }]);
      assert.deepEqual(r.error, { code: -32003, message: "Transaction signature verification failure" });
      const signature = await result<string>(sim.rpcUrl, "sendTransaction", [bytes.toString("base64"), { encoding: "base64", skipPreflight: true }]);
      assert.equal(await statusOf(signature), null);
    });

    it("refuses an unknown blockhash (BlockhashNotFound) and drops it when preflight is skipped", async () => {
      const tx = transferTx(payer, Keypair.generate().publicKey, LAMPORTS_PER_SOL, PublicKey.default.toBase58());
      const r = await call(sim.rpcUrl, "sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }]);
      assert.equal(r.error?.code, -32002);
      assert.equal(r.error?.message, "Transaction simulation failed: Blockhash not found");
      assert.equal((r.error?.data as { err: unknown }).err, "BlockhashNotFound");
      const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
      assert.equal(await statusOf(signature), null);
    });

    it("refuses a transaction it has already processed", async () => {
      const tx = transferTx(payer, Keypair.generate().publicKey, LAMPORTS_PER_SOL, await blockhash());
      await connection.sendRawTransaction(tx.serialize());
      const r = await call(sim.rpcUrl, "sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }]);
      assert.equal(r.error?.code, -32002);
      assert.equal(r.error?.message, "Transaction simulation failed: This transaction has already been processed");
      // Skipping preflight, the duplicate is answered with its signature and not executed again.
      const again = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
      assert.equal(again, encodeBase58(tx.signature as Buffer));
    });

    it("refuses bytes that are not a transaction with -32602", async () => {
      const tx = transferTx(payer, Keypair.generate().publicKey, 1, await blockhash());
      const bytes = Buffer.concat([tx.serialize(), Buffer.from([0])]);
      const cases = [
        [bytes.toString("base64"), { encoding: "base64" }],
        ["AQID", { encoding: "base64" }],
        ["0OIl", {}],
        [tx.serialize().toString("base64"), { encoding: "binary64" }],
        ["A".repeat(2_000), { encoding: "base64" }],
      ];
      for (const params of cases) {
        const r = await call(sim.rpcUrl, "sendTransaction", params);
        assert.equal(r.error?.code, -32602, JSON.stringify(r));
      }
    });
  });

  describe("simulateTransaction", () => {
    it("runs an unsigned transaction by default (sigVerify false) and returns logs and units", async () => {
      const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: await blockhash() }).add(
        SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: LAMPORTS_PER_SOL }),
      );
      const bytes = tx.serialize({ requireAllSignatures: false, verifySignatures: false }).toString("base64");
      const r = await result<{ context: { slot: number }; value: Record<string, unknown> }>(sim.rpcUrl, "simulateTransaction", [bytes, { encoding: "base64" }]);
      assert.equal(r.value.err, null);
      assert.deepEqual(r.value.logs, ["Program 11111111111111111111111111111111 invoke [1]", "Program 11111111111111111111111111111111 success"]);
      assert.equal(r.value.unitsConsumed, 150);
      assert.equal(r.value.accounts, null);
      assert.equal(r.value.replacementBlockhash, null);
      const sig = await call(sim.rpcUrl, "simulateTransaction", [bytes, { encoding: "base64", sigVerify: true }]);
      assert.equal(sig.error?.code, -32003);
    });

    it("replaces a stale blockhash on request and otherwise reports BlockhashNotFound", async () => {
      const tx = transferTx(payer, Keypair.generate().publicKey, LAMPORTS_PER_SOL, PublicKey.default.toBase58());
      const bytes = tx.serialize().toString("base64");
      const stale = await result<{ value: { err: unknown; logs: string[] } }>(sim.rpcUrl, "simulateTransaction", [bytes, { encoding: "base64" }]);
      assert.equal(stale.value.err, "BlockhashNotFound");
      assert.deepEqual(stale.value.logs, []);
      const replaced = await result<{ value: { err: unknown; replacementBlockhash: { blockhash: string; lastValidBlockHeight: number } } }>(sim.rpcUrl, "simulateTransaction", [
        bytes,
        { encoding: "base64", replaceRecentBlockhash: true },
      ]);
      assert.equal(replaced.value.err, null);
      assert.equal(typeof replaced.value.replacementBlockhash.blockhash, "string");
      const both = await call(sim.rpcUrl, "simulateTransaction", [bytes, { encoding: "base64", replaceRecentBlockhash: true, sigVerify: true }]);
      assert.equal(both.error?.code, -32602);
      assert.equal(both.error?.message, "sigVerify may not be used with replaceRecentBlockhash");
    });

    it("returns the requested accounts after the simulated transaction, and nothing is committed", async () => {
      const to = Keypair.generate().publicKey;
      const tx = transferTx(payer, to, 3 * LAMPORTS_PER_SOL, await blockhash());
      const r = await result<{ value: { accounts: { lamports: number; owner: string; data: [string, string] }[] } }>(sim.rpcUrl, "simulateTransaction", [
        tx.serialize().toString("base64"),
        { encoding: "base64", accounts: { addresses: [to.toBase58()], encoding: "base64" } },
      ]);
      assert.equal(r.value.accounts[0].lamports, 3 * LAMPORTS_PER_SOL);
      assert.deepEqual(r.value.accounts[0].data, ["", "base64"]);
      assert.equal(await connection.getBalance(to), 0);
    });

    it("returns inner instructions in parsed form when asked", async () => {
      const mint = await createMint(connection, payer, payer.publicKey, null, 6);
      const owner = Keypair.generate().publicKey;
      const ata = getAssociatedTokenAddressSync(mint, owner);
      const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: await blockhash() }).add(createAssociatedTokenAccountInstruction(payer.publicKey, ata, owner, mint));
      tx.sign(payer);
      const r = await result<{ value: { err: unknown; innerInstructions: { index: number; instructions: { program?: string; parsed?: { type: string } }[] }[] } }>(
        sim.rpcUrl,
        "simulateTransaction",
        [tx.serialize().toString("base64"), { encoding: "base64", innerInstructions: true }],
      );
      assert.equal(r.value.err, null);
      const types = r.value.innerInstructions[0].instructions.map((i) => `${i.program}:${i.parsed?.type}`);
      assert.ok(types.includes("spl-token:initializeAccount3"), types.join(", "));
      assert.ok(types.some((t) => t.startsWith("system:")), types.join(", "));
    });

    it("serves web3.js simulateTransaction of a VersionedTransaction", async () => {
      const message = new TransactionMessage({
        payerKey: payer.publicKey,
        recentBlockhash: await blockhash(),
        instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: LAMPORTS_PER_SOL })],
      }).compileToV0Message();
      const sim0 = await connection.simulateTransaction(new VersionedTransaction(message));
      assert.equal(sim0.value.err, null);
      assert.ok(sim0.value.logs?.length);
    });
  });

  describe("fees", () => {
    it("answers getFeeForMessage with what the runtime charges, priority fee included", async () => {
      const to = Keypair.generate().publicKey;
      const extra = [ComputeBudgetProgram.setComputeUnitLimit({ units: 300_000 }), ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1_000 })];
      const tx = transferTx(payer, to, LAMPORTS_PER_SOL, await blockhash(), extra);
      const quoted = await connection.getFeeForMessage(tx.compileMessage());
      assert.equal(quoted.value, 5_000 + 300);
      const before = await connection.getBalance(payer.publicKey);
      const signature = await connection.sendRawTransaction(tx.serialize());
      assert.equal(before - (await connection.getBalance(payer.publicKey)), LAMPORTS_PER_SOL + 5_300);
      assert.equal((await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 }))?.meta?.fee, 5_300);
      const stale = transferTx(payer, to, 1, PublicKey.default.toBase58());
      assert.equal((await connection.getFeeForMessage(stale.compileMessage())).value, null);
    });
  });

  describe("history", () => {
    it("answers getTransaction in json with every field web3.js validates, version only when asked", async () => {
      const to = Keypair.generate().publicKey;
      const tx = transferTx(payer, to, 2 * LAMPORTS_PER_SOL, await blockhash());
      const signature = await connection.sendRawTransaction(tx.serialize());
      const raw = await result<Record<string, unknown>>(sim.rpcUrl, "getTransaction", [signature, { encoding: "json" }]);
      assert.equal("version" in raw, false);
      const got = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
      assert.ok(got?.meta);
      assert.equal(got.version, "legacy");
      assert.equal(typeof got.blockTime, "number");
      assert.deepEqual(got.transaction.signatures, [signature]);
      assert.equal(got.meta.err, null);
      assert.equal(got.meta.fee, 5_000);
      const keys = got.transaction.message.staticAccountKeys.map((k) => k.toBase58());
      const toIndex = keys.indexOf(to.toBase58());
      assert.equal(got.meta.preBalances[toIndex], 0);
      assert.equal(got.meta.postBalances[toIndex], 2 * LAMPORTS_PER_SOL);
      assert.equal(got.meta.postBalances[0], got.meta.preBalances[0] - 2 * LAMPORTS_PER_SOL - 5_000);
      assert.equal(got.meta.computeUnitsConsumed, 150);
      assert.deepEqual(got.meta.loadedAddresses, { writable: [], readonly: [] });
      assert.deepEqual(got.meta.innerInstructions, []);
      assert.equal(await connection.getTransaction(encodeBase58(new Uint8Array(64).fill(7)), { maxSupportedTransactionVersion: 0 }), null);
    });

    it("answers getTransaction in jsonParsed, base64 and base58, and refuses commitment processed", async () => {
      const to = Keypair.generate().publicKey;
      const tx = transferTx(payer, to, LAMPORTS_PER_SOL, await blockhash());
      const signature = await connection.sendRawTransaction(tx.serialize());
      const parsed = await connection.getParsedTransaction(signature, { maxSupportedTransactionVersion: 0 });
      const ix = parsed?.transaction.message.instructions[0] as { program: string; parsed: { type: string; info: Record<string, unknown> } };
      assert.equal(ix.program, "system");
      assert.equal(ix.parsed.type, "transfer");
      assert.deepEqual(ix.parsed.info, { source: payer.publicKey.toBase58(), destination: to.toBase58(), lamports: LAMPORTS_PER_SOL });
      assert.deepEqual(
        parsed?.transaction.message.accountKeys.map((k) => [k.pubkey.toBase58(), k.signer, k.writable, k.source]),
        [
          [payer.publicKey.toBase58(), true, true, "transaction"],
          [to.toBase58(), false, true, "transaction"],
          [SystemProgram.programId.toBase58(), false, false, "transaction"],
        ],
      );
      const b64 = await result<{ transaction: [string, string] }>(sim.rpcUrl, "getTransaction", [signature, { encoding: "base64" }]);
      assert.deepEqual(b64.transaction, [tx.serialize().toString("base64"), "base64"]);
      const b58 = await result<{ transaction: [string, string] }>(sim.rpcUrl, "getTransaction", [signature, "base58"]);
      assert.deepEqual(b58.transaction, [encodeBase58(tx.serialize()), "base58"]);
      const processed = await call(sim.rpcUrl, "getTransaction", [signature, { commitment: "processed" }]);
      assert.equal(processed.error?.code, -32602);
      assert.equal(processed.error?.message, "Method does not support commitment below `confirmed`");
    });

    it("records token balances before and after, with owner, mint and program", async () => {
      const mint = await createMint(connection, payer, payer.publicKey, null, 6);
      const alice = Keypair.generate();
      const bob = Keypair.generate();
      const a = await getOrCreateAssociatedTokenAccount(connection, payer, mint, alice.publicKey);
      const b = await getOrCreateAssociatedTokenAccount(connection, payer, mint, bob.publicKey);
      await mintTo(connection, payer, mint, a.address, payer, 5_000_000n);
      const signature = await transfer(connection, payer, a.address, b.address, alice, 1_250_000n);
      const got = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
      const pre = got?.meta?.preTokenBalances ?? [];
      const post = got?.meta?.postTokenBalances ?? [];
      const amount = (list: typeof pre, owner: PublicKey) => list.find((t) => t.owner === owner.toBase58())?.uiTokenAmount;
      assert.deepEqual(amount(pre, alice.publicKey), { amount: "5000000", decimals: 6, uiAmount: 5, uiAmountString: "5" });
      assert.deepEqual(amount(post, alice.publicKey), { amount: "3750000", decimals: 6, uiAmount: 3.75, uiAmountString: "3.75" });
      assert.deepEqual(amount(post, bob.publicKey), { amount: "1250000", decimals: 6, uiAmount: 1.25, uiAmountString: "1.25" });
      assert.ok(post.every((t) => t.mint === mint.toBase58() && t.programId === "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"));
      const parsed = await connection.getParsedTransaction(signature, { maxSupportedTransactionVersion: 0 });
      const ix = parsed?.transaction.message.instructions[0] as { program: string; parsed: { type: string; info: { amount: string } } };
      assert.equal(ix.program, "spl-token");
      assert.equal(ix.parsed.type, "transfer");
      assert.equal(ix.parsed.info.amount, "1250000");
    });

    it("records inner instructions (CPIs) with their stack height", async () => {
      const mint = await createMint(connection, payer, payer.publicKey, null, 6);
      const owner = Keypair.generate().publicKey;
      const ata = getAssociatedTokenAddressSync(mint, owner);
      const signature = await sendAndConfirmTransaction(connection, new Transaction().add(createAssociatedTokenAccountInstruction(payer.publicKey, ata, owner, mint)), [payer]);
      const got = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
      const inner = got?.meta?.innerInstructions ?? [];
      assert.equal(inner.length, 1);
      assert.equal(inner[0].index, 0);
      assert.ok(inner[0].instructions.length >= 3);
      const raw = await result<{ meta: { innerInstructions: { instructions: { stackHeight: number }[] }[] } }>(sim.rpcUrl, "getTransaction", [signature, { encoding: "json" }]);
      assert.ok(raw.meta.innerInstructions[0].instructions.every((i) => i.stackHeight >= 2));
    });

    it("reads v0 transactions with a lookup table: loadedAddresses, balances of loaded accounts, -32015 without maxSupportedTransactionVersion", async () => {
      const recipients = [Keypair.generate().publicKey, Keypair.generate().publicKey];
      const [create, table] = AddressLookupTableProgram.createLookupTable({ authority: payer.publicKey, payer: payer.publicKey, recentSlot: await connection.getSlot() });
      const extend = AddressLookupTableProgram.extendLookupTable({ lookupTable: table, authority: payer.publicKey, payer: payer.publicKey, addresses: recipients });
      await sendAndConfirmTransaction(connection, new Transaction().add(create, extend), [payer]);
      // Addresses added in a slot can be looked up from the next one.
      const extendedAt = await connection.getSlot();
      await waitFor(async () => (await connection.getSlot()) > extendedAt, 3_000, "the next slot");
      const lookup = (await connection.getAddressLookupTable(table)).value;
      assert.ok(lookup);
      assert.equal(lookup.state.addresses.length, 2);
      const message = new TransactionMessage({
        payerKey: payer.publicKey,
        recentBlockhash: await blockhash(),
        instructions: recipients.map((r) => SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: r, lamports: LAMPORTS_PER_SOL })),
      }).compileToV0Message([lookup]);
      const tx = new VersionedTransaction(message);
      tx.sign([payer]);
      const signature = await connection.sendTransaction(tx);
      await waitFor(async () => (await statusOf(signature)) !== null, 3_000, "the v0 transaction");
      const legacyClient = await call(sim.rpcUrl, "getTransaction", [signature, { encoding: "json" }]);
      assert.equal(legacyClient.error?.code, -32015);
      const got = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
      assert.equal(got?.version, 0);
      assert.deepEqual(got?.meta?.loadedAddresses?.writable.map((k) => k.toBase58()), recipients.map((r) => r.toBase58()));
      assert.equal(got?.meta?.postBalances.length, message.staticAccountKeys.length + 2);
      assert.deepEqual(got?.meta?.postBalances.slice(-2), [LAMPORTS_PER_SOL, LAMPORTS_PER_SOL]);
      assert.equal(got?.transaction.message.addressTableLookups.length, 1);
      const parsed = await connection.getParsedTransaction(signature, { maxSupportedTransactionVersion: 0 });
      assert.deepEqual(
        parsed?.transaction.message.accountKeys.filter((k) => k.source === "lookupTable").map((k) => k.pubkey.toBase58()),
        recipients.map((r) => r.toBase58()),
      );
      assert.deepEqual(await connection.getBalance(recipients[1]), LAMPORTS_PER_SOL);
    });

    it("lists signatures for an address newest first, with limit, before and until", async () => {
      const wallet = await fundedKeypair(connection, 5);
      const signatures: string[] = [];
      for (let i = 0; i < 5; i++) {
        signatures.push(await connection.sendRawTransaction(transferTx(wallet, Keypair.generate().publicKey, LAMPORTS_PER_SOL / 10, await blockhash()).serialize()));
      }
      const all = await connection.getSignaturesForAddress(wallet.publicKey);
      assert.equal(all.length, 6); // the airdrop and five transfers
      assert.deepEqual(all.slice(0, 5).map((s) => s.signature), [...signatures].reverse());
      assert.ok(all.every((s) => s.err === null && s.memo === null && typeof s.blockTime === "number" && s.confirmationStatus === "finalized"));
      const limited = await connection.getSignaturesForAddress(wallet.publicKey, { limit: 2 });
      assert.deepEqual(limited.map((s) => s.signature), [signatures[4], signatures[3]]);
      const before = await connection.getSignaturesForAddress(wallet.publicKey, { before: signatures[3], limit: 2 });
      assert.deepEqual(before.map((s) => s.signature), [signatures[2], signatures[1]]);
      const until = await connection.getSignaturesForAddress(wallet.publicKey, { until: signatures[2] });
      assert.deepEqual(until.map((s) => s.signature), [signatures[4], signatures[3]]);
      const between = await connection.getSignaturesForAddress(wallet.publicKey, { before: signatures[4], until: signatures[1] });
      assert.deepEqual(between.map((s) => s.signature), [signatures[3], signatures[2]]);
      const r = await call(sim.rpcUrl, "getSignaturesForAddress", [wallet.publicKey.toBase58(), { limit: 1001 }]);
      assert.equal(r.error?.message, "Invalid limit; max 1000");
      const p = await call(sim.rpcUrl, "getSignaturesForAddress", [wallet.publicKey.toBase58(), { commitment: "processed" }]);
      assert.equal(p.error?.code, -32602);
    });

    it("answers web3.js getTransactions and getParsedTransactions (JSON-RPC batches), null for unknown signatures", async () => {
      const wallet = await fundedKeypair(connection, 2);
      const signatures: string[] = [];
      for (let i = 0; i < 3; i++) {
        signatures.push(await connection.sendRawTransaction(transferTx(wallet, Keypair.generate().publicKey, 1_000_000 + i, await blockhash()).serialize()));
      }
      const unknown = encodeBase58(new Uint8Array(64).fill(9));
      const txs = await connection.getTransactions([...signatures, unknown], { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      assert.deepEqual(txs.map((t) => t?.transaction.signatures[0] ?? null), [...signatures, null]);
      assert.ok(txs.slice(0, 3).every((t) => t?.meta?.err === null && (t.meta.logMessages?.length ?? 0) > 0));
      const parsed = await connection.getParsedTransactions(signatures, { maxSupportedTransactionVersion: 0 });
      assert.deepEqual(parsed.map((t) => (t?.transaction.message.instructions[0] as { parsed: { info: { lamports: number } } }).parsed.info.lamports), [1_000_000, 1_000_001, 1_000_002]);
    });

    it("answers getSignatureStatuses from recent slots, and from all history with searchTransactionHistory", async () => {
      const tx = transferTx(payer, Keypair.generate().publicKey, LAMPORTS_PER_SOL, await blockhash());
      const signature = await connection.sendRawTransaction(tx.serialize());
      const unknown = encodeBase58(new Uint8Array(64).fill(1));
      const recent = await connection.getSignatureStatuses([signature, unknown]);
      assert.equal(recent.value[0]?.err, null);
      assert.equal(recent.value[0]?.confirmations, null);
      assert.equal(recent.value[0]?.confirmationStatus, "finalized");
      assert.equal(recent.value[1], null);
      sim.chain.advanceTo(sim.chain.slot + 301n);
      assert.equal((await connection.getSignatureStatuses([signature])).value[0], null);
      assert.equal((await connection.getSignatureStatuses([signature], { searchTransactionHistory: true })).value[0]?.err, null);
      const many = await call(sim.rpcUrl, "getSignatureStatuses", [Array(257).fill(unknown)]);
      assert.equal(many.error?.message, "Too many inputs provided; max 256");
    });
  });

  describe("requestAirdrop", () => {
    it("sends lamports from the faucet in a real transfer, twice in one slot too", async () => {
      const to = Keypair.generate().publicKey;
      const [a, b] = await Promise.all([connection.requestAirdrop(to, LAMPORTS_PER_SOL), connection.requestAirdrop(to, LAMPORTS_PER_SOL)]);
      assert.notEqual(a, b);
      assert.equal(await connection.getBalance(to), 2 * LAMPORTS_PER_SOL);
      const got = await connection.getParsedTransaction(a, { maxSupportedTransactionVersion: 0 });
      const ix = got?.transaction.message.instructions[0] as { parsed: { type: string; info: { destination: string } } };
      assert.equal(ix.parsed.type, "transfer");
      assert.equal(ix.parsed.info.destination, to.toBase58());
    });

    it("refuses zero, negative, fractional or excessive amounts with -32602", async () => {
      for (const lamports of [0, -1, 1.5, "1", 2e15]) {
        const r: RpcResponse = await call(sim.rpcUrl, "requestAirdrop", [Keypair.generate().publicKey.toBase58(), lamports]);
        assert.equal(r.error?.code, -32602, `${lamports}: ${JSON.stringify(r)}`);
      }
    });
  });
});
