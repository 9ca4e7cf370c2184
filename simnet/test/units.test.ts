// The pure parts of the node, one by one: exact JSON for u64, token amounts, jsonParsed instructions, fees,
// memos, wire decoding, history windows and the ledger directory's lock and torn lines.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  createAssociatedTokenAccountIdempotentInstruction,
  createBurnInstruction,
  createCloseAccountInstruction,
  createInitializeMint2Instruction,
  createMintToCheckedInstruction,
  createTransferCheckedInstruction,
} from "@solana/spl-token";
import { ComputeBudgetProgram, Keypair, PublicKey, SystemProgram, Transaction, TransactionInstruction, type VersionedMessage } from "@solana/web3.js";
import { uiAmountString, uiTokenAmount } from "../accounts";
import { RpcError } from "../errors";
import { TransactionHistory, type TxRecord } from "../history";
import { stringifyJson } from "../json";
import { parseInstruction } from "../parsed-instructions";
import { LedgerInUseError, LedgerStore } from "../store";
import { decodeWire, memoOf, messageFee, messageBytes, parseWire } from "../wire";
import { tempDir } from "./helpers";

const a = Keypair.generate().publicKey;
const b = Keypair.generate().publicKey;
const c = Keypair.generate().publicKey;

function parsed(ix: TransactionInstruction): { program?: string; parsed?: { type: string; info: Record<string, unknown> } | string; data?: string } {
  return parseInstruction(ix.programId.toBase58(), ix.keys.map((k) => k.pubkey.toBase58()), Uint8Array.from(ix.data), null) as never;
}

function message(...ixs: TransactionInstruction[]): VersionedMessage {
  const tx = new Transaction({ feePayer: a, recentBlockhash: PublicKey.default.toBase58() }).add(...ixs);
  return parseWire(tx.serialize({ requireAllSignatures: false, verifySignatures: false })).message;
}

describe("simnet building blocks", () => {
  it("writes bigint values as exact JSON integers and leaves strings alone", () => {
    assert.equal(stringifyJson({ a: (1n << 64n) - 1n, b: [1n, -2n], s: "\u0000bigint:1" }), '{"a":18446744073709551615,"b":[1,-2],"s":"\\u0000bigint:1"}');
    assert.equal(stringifyJson(undefined), "null");
  });

  it("formats token amounts as the validator does", () => {
    assert.equal(uiAmountString(0n, 6), "0");
    assert.equal(uiAmountString(1_500_000n, 6), "1.5");
    assert.equal(uiAmountString(1n, 6), "0.000001");
    assert.equal(uiAmountString(42n, 0), "42");
    assert.deepEqual(uiTokenAmount(12_345_678n, 6), { amount: "12345678", decimals: 6, uiAmount: 12.345678, uiAmountString: "12.345678" });
  });

  describe("jsonParsed instructions", () => {
    it("parses System instructions", () => {
      const create = parsed(SystemProgram.createAccount({ fromPubkey: a, newAccountPubkey: b, lamports: 10, space: 165, programId: c }));
      assert.deepEqual(create, { program: "system", programId: SystemProgram.programId.toBase58(), parsed: { type: "createAccount", info: { source: a.toBase58(), newAccount: b.toBase58(), lamports: 10n, space: 165n, owner: c.toBase58() } }, stackHeight: null });
      const seeded = parsed(SystemProgram.createAccountWithSeed({ fromPubkey: a, newAccountPubkey: b, basePubkey: a, seed: "pb-x", lamports: 5, space: 1, programId: c }));
      assert.deepEqual((seeded.parsed as { info: Record<string, unknown> }).info, { source: a.toBase58(), newAccount: b.toBase58(), base: a.toBase58(), seed: "pb-x", lamports: 5n, space: 1n, owner: c.toBase58() });
      assert.equal((parsed(SystemProgram.assign({ accountPubkey: a, programId: c })).parsed as { type: string }).type, "assign");
      assert.equal((parsed(SystemProgram.allocate({ accountPubkey: a, space: 8 })).parsed as { type: string }).type, "allocate");
    });

    it("parses SPL Token and Associated Token Account instructions", () => {
      const mint = parsed(createInitializeMint2Instruction(a, 6, b, null));
      assert.deepEqual(mint.parsed, { type: "initializeMint2", info: { mint: a.toBase58(), decimals: 6, mintAuthority: b.toBase58() } });
      const checked = parsed(createTransferCheckedInstruction(a, b, c, a, 1_500_000n, 6));
      assert.deepEqual(checked.parsed, {
        type: "transferChecked",
        info: { source: a.toBase58(), mint: b.toBase58(), destination: c.toBase58(), authority: a.toBase58(), tokenAmount: uiTokenAmount(1_500_000n, 6) },
      });
      assert.equal((parsed(createMintToCheckedInstruction(a, b, c, 5n, 2)).parsed as { type: string }).type, "mintToChecked");
      assert.deepEqual((parsed(createBurnInstruction(a, b, c, 7n)).parsed as { info: unknown }).info, { account: a.toBase58(), mint: b.toBase58(), authority: c.toBase58(), amount: "7" });
      assert.equal((parsed(createCloseAccountInstruction(a, b, c)).parsed as { type: string }).type, "closeAccount");
      const ata = parsed(createAssociatedTokenAccountIdempotentInstruction(a, b, c, a));
      assert.equal(ata.program, "spl-associated-token-account");
      assert.equal((ata.parsed as { type: string }).type, "createIdempotent");
    });

    it("parses memos as text and leaves unknown or malformed instructions partially decoded", () => {
      const memo = parseInstruction("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", [], Buffer.from("hello"), 2);
      assert.deepEqual(memo, { program: "spl-memo", programId: "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", parsed: "hello", stackHeight: 2 });
      const unknown = parseInstruction(c.toBase58(), [a.toBase58()], Uint8Array.from([1, 2, 3]), null);
      assert.deepEqual(unknown, { programId: c.toBase58(), accounts: [a.toBase58()], data: "Ldp", stackHeight: null });
      const truncated = parseInstruction(SystemProgram.programId.toBase58(), [a.toBase58()], Uint8Array.from([2, 0, 0, 0, 1]), null);
      assert.equal("data" in truncated, true);
      const missingAccount = parseInstruction(SystemProgram.programId.toBase58(), [a.toBase58()], Uint8Array.from([2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), null);
      assert.equal("data" in missingAccount, true);
    });
  });

  describe("wire", () => {
    it("prices a message: signatures, and the priority fee on the requested or default compute units", () => {
      const transfer = SystemProgram.transfer({ fromPubkey: a, toPubkey: b, lamports: 1 });
      assert.equal(messageFee(message(transfer)), 5_000n);
      // Price without a limit: 200,000 units per non-budget instruction, rounded up to whole lamports.
      assert.equal(messageFee(message(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 3 }), transfer, transfer)), 5_000n + 2n);
      assert.equal(messageFee(message(ComputeBudgetProgram.setComputeUnitLimit({ units: 2_000_000 }), ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1_000_000 }), transfer)), 5_000n + 1_400_000n);
    });

    it("reads memos in the getSignaturesForAddress format", () => {
      const memo = new TransactionInstruction({ programId: new PublicKey("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"), keys: [], data: Buffer.from("pay") });
      assert.equal(memoOf(message(memo, memo)), "[3] pay; [3] pay");
      assert.equal(memoOf(message(SystemProgram.transfer({ fromPubkey: a, toPubkey: b, lamports: 1 }))), null);
    });

    it("finds the signed message after the signatures", () => {
      const tx = new Transaction({ feePayer: a, recentBlockhash: PublicKey.default.toBase58() }).add(SystemProgram.transfer({ fromPubkey: a, toPubkey: b, lamports: 1 }));
      const raw = tx.serialize({ requireAllSignatures: false, verifySignatures: false });
      assert.ok(Buffer.from(messageBytes(raw)).equals(tx.serializeMessage()));
    });

    it("refuses encodings and sizes that are not a transaction with -32602", () => {
      for (const [text, encoding] of [
        [12, "base64"],
        ["%%%%", "base64"],
        ["abc", "base64"],
        ["0O", "base58"],
        ["A".repeat(1_700), "base58"],
      ] as const) {
        assert.throws(() => decodeWire(text, encoding), (e: unknown) => e instanceof RpcError && e.code === -32602, `${String(text).slice(0, 8)} ${encoding}`);
      }
      assert.throws(() => parseWire(Uint8Array.from([1, 2, 3])), (e: unknown) => e instanceof RpcError && e.code === -32602);
    });
  });

  it("lists history newest first between before and until, and nothing before an unknown signature", () => {
    const history = new TransactionHistory();
    const record = (n: number): TxRecord => ({ signature: `sig${n}`, sequence: n, accountKeys: [a.toBase58()] }) as TxRecord;
    for (let i = 0; i < 5; i++) history.add(record(i));
    const sigs = (o: { before?: string; until?: string; limit: number }) => history.forAddress(a.toBase58(), o).map((r) => r.signature);
    assert.deepEqual(sigs({ limit: 10 }), ["sig4", "sig3", "sig2", "sig1", "sig0"]);
    assert.deepEqual(sigs({ before: "sig3", limit: 10 }), ["sig2", "sig1", "sig0"]);
    assert.deepEqual(sigs({ until: "sig1", limit: 10 }), ["sig4", "sig3", "sig2"]);
    assert.deepEqual(sigs({ before: "nope", limit: 10 }), []);
    assert.deepEqual(sigs({ until: "nope", limit: 2 }), ["sig4", "sig3"]);
    assert.deepEqual(history.forAddress(b.toBase58(), { limit: 10 }), []);
  });

  describe("ledger directory", () => {
    it("takes over the lock of a process that is gone, and refuses one that is alive", () => {
      const tmp = tempDir("simnet-lock");
      try {
        fs.writeFileSync(path.join(tmp.dir, "simnet.lock"), "999999999\n");
        const store = LedgerStore.open(tmp.dir);
        assert.equal(fs.readFileSync(path.join(tmp.dir, "simnet.lock"), "utf8").trim(), String(process.pid));
        store.close();
        assert.equal(fs.existsSync(path.join(tmp.dir, "simnet.lock")), false);
        // pid 1 is always alive (and never this process).
        fs.writeFileSync(path.join(tmp.dir, "simnet.lock"), "1\n");
        assert.throws(() => LedgerStore.open(tmp.dir), LedgerInUseError);
      } finally {
        tmp.remove();
      }
    });

    it("keeps its genesis across opens, replaces it on reset, and refuses an unknown format", () => {
      const tmp = tempDir("simnet-genesis");
      try {
        const first = LedgerStore.open(tmp.dir);
        assert.equal(first.created, true);
        first.close();
        const second = LedgerStore.open(tmp.dir);
        assert.equal(second.created, false);
        assert.equal(second.genesis.hash, first.genesis.hash);
        second.close();
        const reset = LedgerStore.open(tmp.dir, { reset: true });
        assert.notEqual(reset.genesis.hash, first.genesis.hash);
        reset.close();
        fs.writeFileSync(path.join(tmp.dir, "genesis.json"), JSON.stringify({ version: 99, hash: "x", createdAt: 0 }));
        assert.throws(() => LedgerStore.open(tmp.dir), /format version 99/);
        assert.equal(fs.existsSync(path.join(tmp.dir, "simnet.lock")), false);
      } finally {
        tmp.remove();
      }
    });

    it("cuts a journal tail without a newline and reads the entries before it", () => {
      const tmp = tempDir("simnet-journal");
      try {
        const store = LedgerStore.open(tmp.dir);
        store.append({ kind: "transaction", slot: 3n, unixTimestamp: 1_700_000_000n, raw: Uint8Array.from([1, 2]), err: null });
        store.append({ kind: "program", slot: 4n, unixTimestamp: 1_700_000_001n, programId: a.toBase58(), elf: Uint8Array.from([9]) });
        store.close();
        fs.appendFileSync(path.join(tmp.dir, "journal.jsonl"), '{"k":"tx","s":"5"');
        const reopened = LedgerStore.open(tmp.dir);
        assert.equal(reopened.truncatedBytes, 17);
        const entries = [...reopened.entries()];
        assert.deepEqual(entries.map((e) => [e.kind, e.slot]), [["transaction", 3n], ["program", 4n]]);
        assert.deepEqual(entries[0].kind === "transaction" && Array.from(entries[0].raw), [1, 2]);
        reopened.close();
      } finally {
        tmp.remove();
      }
    });
  });
});
