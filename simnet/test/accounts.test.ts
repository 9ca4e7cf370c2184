// Account reads, on the wire and through web3.js and @solana/spl-token: encodings (base58, base64,
// jsonParsed for mints and token accounts), data slices, many accounts at once, program accounts with
// filters, balances, token balances and token accounts by owner.
import assert from "node:assert/strict";
import {
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  approve,
  createAccount,
  createMint,
  getAccount,
  getMint,
  getOrCreateAssociatedTokenAccount,
  mintTo,
} from "@solana/spl-token";
import { Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, type Connection } from "@solana/web3.js";
import { encodeBase58 } from "../base58";
import type { Simnet } from "../server";
import { call, connect, disconnect, fundedKeypair, result, startTestSimnet } from "./helpers";

type UiAccount = { data: unknown; executable: boolean; lamports: number; owner: string; rentEpoch: number; space: number };
type WithContext<T> = { context: { slot: number; apiVersion: string }; value: T };

describe("simnet account reads", () => {
  let sim: Simnet;
  let connection: Connection;
  let payer: Keypair;
  let mint: PublicKey;
  let owner: Keypair;
  let ownerAta: PublicKey;
  let mint2022: PublicKey;

  before(async () => {
    sim = await startTestSimnet();
    connection = connect(sim);
    payer = await fundedKeypair(connection, 100);
    owner = Keypair.generate();
    mint = await createMint(connection, payer, payer.publicKey, payer.publicKey, 6);
    ownerAta = (await getOrCreateAssociatedTokenAccount(connection, payer, mint, owner.publicKey)).address;
    await mintTo(connection, payer, mint, ownerAta, payer, 12_345_678n);
    mint2022 = await createMint(connection, payer, payer.publicKey, null, 2, Keypair.generate(), undefined, TOKEN_2022_PROGRAM_ID);
  });
  after(async () => {
    await disconnect(connection);
    await sim.close();
  });

  describe("getAccountInfo", () => {
    it("returns null for a missing account and the full shape for an existing one", async () => {
      const missing = await result<WithContext<null>>(sim.rpcUrl, "getAccountInfo", [Keypair.generate().publicKey.toBase58(), { encoding: "base64" }]);
      assert.equal(missing.value, null);
      assert.equal(typeof missing.context.slot, "number");
      const raw = await result<WithContext<UiAccount>>(sim.rpcUrl, "getAccountInfo", [payer.publicKey.toBase58(), { encoding: "base64" }]);
      assert.deepEqual(Object.keys(raw.value).sort(), ["data", "executable", "lamports", "owner", "rentEpoch", "space"]);
      assert.deepEqual(raw.value.data, ["", "base64"]);
      assert.equal(raw.value.owner, SystemProgram.programId.toBase58());
      assert.equal(raw.value.space, 0);
      const info = await connection.getAccountInfo(mint);
      assert.ok(info);
      assert.ok(info.owner.equals(TOKEN_PROGRAM_ID));
      assert.equal(info.data.length, 82);
    });

    it("writes u64 values exactly (rentEpoch u64::MAX, lamports beyond 2^53)", async () => {
      const reply = await fetch(sim.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getAccountInfo", params: [sim.chain.faucet.publicKey.toBase58(), { encoding: "base64" }] }),
      });
      const text = await reply.text();
      assert.match(text, /"rentEpoch":18446744073709551615/);
      const lamports = /"lamports":(\d+)/.exec(text)?.[1];
      assert.ok(lamports && BigInt(lamports) > BigInt(Number.MAX_SAFE_INTEGER), text);
      assert.equal(BigInt(lamports), sim.chain.account(sim.chain.faucet.publicKey.toBase58())?.lamports);
    });

    it("encodes base58 (bare string by default, [text, encoding] when asked) and refuses base58 of more than 128 bytes", async () => {
      const legacy = await result<WithContext<UiAccount>>(sim.rpcUrl, "getAccountInfo", [mint.toBase58(), { dataSlice: { offset: 0, length: 36 } }]);
      assert.equal(typeof legacy.value.data, "string");
      const b58 = await result<WithContext<UiAccount>>(sim.rpcUrl, "getAccountInfo", [mint.toBase58(), { encoding: "base58" }]);
      const info = await connection.getAccountInfo(mint);
      assert.deepEqual(b58.value.data, [encodeBase58(info?.data ?? new Uint8Array()), "base58"]);
      const big = await call(sim.rpcUrl, "getAccountInfo", [ownerAta.toBase58(), { encoding: "base58" }]);
      assert.equal(big.error?.code, -32600);
      assert.match(big.error?.message ?? "", /less than 128 bytes/);
    });

    it("slices data with dataSlice", async () => {
      const r = await result<WithContext<UiAccount>>(sim.rpcUrl, "getAccountInfo", [ownerAta.toBase58(), { encoding: "base64", dataSlice: { offset: 64, length: 8 } }]);
      const [text] = r.value.data as [string, string];
      assert.equal(Buffer.from(text, "base64").readBigUInt64LE(0), 12_345_678n);
      assert.equal(r.value.space, 165);
      const beyond = await result<WithContext<UiAccount>>(sim.rpcUrl, "getAccountInfo", [ownerAta.toBase58(), { encoding: "base64", dataSlice: { offset: 500, length: 8 } }]);
      assert.deepEqual(beyond.value.data, ["", "base64"]);
      const bad = await call(sim.rpcUrl, "getAccountInfo", [ownerAta.toBase58(), { encoding: "base64", dataSlice: { offset: -1, length: 8 } }]);
      assert.equal(bad.error?.code, -32602);
    });

    it("parses token accounts and mints with jsonParsed, and falls back to base64 for other accounts", async () => {
      const account = await connection.getParsedAccountInfo(ownerAta);
      const data = account.value?.data as { program: string; parsed: { type: string; info: Record<string, unknown> }; space: number };
      assert.equal(data.program, "spl-token");
      assert.equal(data.space, 165);
      assert.equal(data.parsed.type, "account");
      assert.deepEqual(data.parsed.info, {
        isNative: false,
        mint: mint.toBase58(),
        owner: owner.publicKey.toBase58(),
        state: "initialized",
        tokenAmount: { amount: "12345678", decimals: 6, uiAmount: 12.345678, uiAmountString: "12.345678" },
      });
      const mintData = (await connection.getParsedAccountInfo(mint)).value?.data as { parsed: { type: string; info: Record<string, unknown> } };
      assert.deepEqual(mintData.parsed, {
        type: "mint",
        info: { decimals: 6, freezeAuthority: payer.publicKey.toBase58(), isInitialized: true, mintAuthority: payer.publicKey.toBase58(), supply: "12345678" },
      });
      const m2022 = (await connection.getParsedAccountInfo(mint2022)).value?.data as { program: string; parsed: { info: { decimals: number } } };
      assert.equal(m2022.program, "spl-token-2022");
      assert.equal(m2022.parsed.info.decimals, 2);
      const plain = await connection.getParsedAccountInfo(payer.publicKey);
      assert.ok(Buffer.isBuffer(plain.value?.data));
    });

    it("shows a delegate and its allowance in jsonParsed", async () => {
      const delegate = Keypair.generate().publicKey;
      await approve(connection, payer, ownerAta, delegate, owner, 1_000n);
      const data = (await connection.getParsedAccountInfo(ownerAta)).value?.data as { parsed: { info: { delegate: string; delegatedAmount: { amount: string } } } };
      assert.equal(data.parsed.info.delegate, delegate.toBase58());
      assert.equal(data.parsed.info.delegatedAmount.amount, "1000");
    });
  });

  describe("getMultipleAccounts and getBalance", () => {
    it("returns accounts in order with null for missing ones, and at most 100 keys", async () => {
      const missing = Keypair.generate().publicKey;
      const infos = await connection.getMultipleAccountsInfo([mint, missing, ownerAta]);
      assert.equal(infos.length, 3);
      assert.equal(infos[0]?.data.length, 82);
      assert.equal(infos[1], null);
      assert.equal(infos[2]?.data.length, 165);
      const parsed = await connection.getMultipleParsedAccounts([ownerAta]);
      assert.equal((parsed.value[0]?.data as { program: string }).program, "spl-token");
      const tooMany = await call(sim.rpcUrl, "getMultipleAccounts", [Array.from({ length: 101 }, () => missing.toBase58())]);
      assert.equal(tooMany.error?.message, "Too many inputs provided; max 100");
    });

    it("returns lamports, 0 for a missing account", async () => {
      assert.equal(await connection.getBalance(Keypair.generate().publicKey), 0);
      const rich = await fundedKeypair(connection, 3);
      assert.equal(await connection.getBalance(rich.publicKey), 3 * LAMPORTS_PER_SOL);
      const ctx = await connection.getBalanceAndContext(rich.publicKey);
      assert.equal(typeof ctx.context.slot, "number");
    });
  });

  describe("getProgramAccounts", () => {
    it("filters by dataSize and memcmp (base58 and base64), with and without context", async () => {
      const other = Keypair.generate();
      await getOrCreateAssociatedTokenAccount(connection, payer, mint, other.publicKey);
      const ownerFilter = { memcmp: { offset: 32, bytes: owner.publicKey.toBase58() } };
      const byOwner = await connection.getProgramAccounts(TOKEN_PROGRAM_ID, { filters: [{ dataSize: 165 }, ownerFilter] });
      assert.deepEqual(byOwner.map((a) => a.pubkey.toBase58()), [ownerAta.toBase58()]);
      const byMint = await connection.getProgramAccounts(TOKEN_PROGRAM_ID, { filters: [{ dataSize: 165 }, { memcmp: { offset: 0, bytes: mint.toBase58() } }] });
      assert.ok(byMint.length >= 2);
      const mints = await connection.getProgramAccounts(TOKEN_PROGRAM_ID, { filters: [{ dataSize: 82 }] });
      assert.ok(mints.some((a) => a.pubkey.equals(mint)));
      const b64 = await result<{ pubkey: string }[]>(sim.rpcUrl, "getProgramAccounts", [
        TOKEN_PROGRAM_ID.toBase58(),
        { encoding: "base64", filters: [{ memcmp: { offset: 32, bytes: owner.publicKey.toBuffer().toString("base64"), encoding: "base64" } }] },
      ]);
      assert.deepEqual(b64.map((a) => a.pubkey), [ownerAta.toBase58()]);
      const ctx = await result<WithContext<{ pubkey: string }[]>>(sim.rpcUrl, "getProgramAccounts", [TOKEN_PROGRAM_ID.toBase58(), { encoding: "base64", withContext: true, filters: [ownerFilter] }]);
      assert.equal(ctx.value.length, 1);
      assert.equal(typeof ctx.context.slot, "number");
      const parsed = await connection.getParsedProgramAccounts(TOKEN_PROGRAM_ID, { filters: [{ dataSize: 165 }, ownerFilter] });
      assert.equal((parsed[0].account.data as { parsed: { type: string } }).parsed.type, "account");
    });

    it("refuses more than four filters, unknown filters and oversized memcmp bytes", async () => {
      const program = TOKEN_PROGRAM_ID.toBase58();
      const five = await call(sim.rpcUrl, "getProgramAccounts", [program, { filters: Array(5).fill({ dataSize: 1 }) }]);
      assert.equal(five.error?.message, "Too many filters provided; max 4");
      const unknown = await call(sim.rpcUrl, "getProgramAccounts", [program, { filters: [{ tokenAccountState: {} }] }]);
      assert.equal(unknown.error?.code, -32602);
      const big = await call(sim.rpcUrl, "getProgramAccounts", [program, { filters: [{ memcmp: { offset: 0, bytes: Buffer.alloc(129).toString("base64"), encoding: "base64" } }] }]);
      assert.equal(big.error?.code, -32602);
    });
  });

  describe("token reads", () => {
    it("answers getTokenAccountBalance, and -32602 for missing and non-token accounts", async () => {
      const balance = await connection.getTokenAccountBalance(ownerAta);
      assert.deepEqual(balance.value, { amount: "12345678", decimals: 6, uiAmount: 12.345678, uiAmountString: "12.345678" });
      const missing = await call(sim.rpcUrl, "getTokenAccountBalance", [Keypair.generate().publicKey.toBase58()]);
      assert.deepEqual(missing.error, { code: -32602, message: "Invalid param: could not find account" });
      const notToken = await call(sim.rpcUrl, "getTokenAccountBalance", [payer.publicKey.toBase58()]);
      assert.deepEqual(notToken.error, { code: -32602, message: "Invalid param: not a Token account" });
    });

    it("answers getTokenSupply", async () => {
      const supply = await connection.getTokenSupply(mint);
      assert.equal(supply.value.amount, "12345678");
      assert.equal(supply.value.decimals, 6);
    });

    it("lists token accounts by owner filtered by mint or program, raw and parsed", async () => {
      const second = await createAccount(connection, payer, mint, owner.publicKey, Keypair.generate());
      const byMint = await connection.getTokenAccountsByOwner(owner.publicKey, { mint });
      assert.deepEqual(byMint.value.map((a) => a.pubkey.toBase58()).sort(), [ownerAta.toBase58(), second.toBase58()].sort());
      const byProgram = await connection.getParsedTokenAccountsByOwner(owner.publicKey, { programId: TOKEN_PROGRAM_ID });
      assert.equal(byProgram.value.length, 2);
      const amounts = byProgram.value.map((a) => (a.account.data.parsed as { info: { tokenAmount: { amount: string } } }).info.tokenAmount.amount).sort();
      assert.deepEqual(amounts, ["0", "12345678"]);
      const none = await connection.getTokenAccountsByOwner(owner.publicKey, { programId: TOKEN_2022_PROGRAM_ID });
      assert.deepEqual(none.value, []);
      const badProgram = await call(sim.rpcUrl, "getTokenAccountsByOwner", [owner.publicKey.toBase58(), { programId: SystemProgram.programId.toBase58() }]);
      assert.deepEqual(badProgram.error, { code: -32602, message: "Invalid param: unrecognized Token program id" });
      const badMint = await call(sim.rpcUrl, "getTokenAccountsByOwner", [owner.publicKey.toBase58(), { mint: Keypair.generate().publicKey.toBase58() }]);
      assert.deepEqual(badMint.error, { code: -32602, message: "Invalid param: could not find mint" });
      const noFilter = await call(sim.rpcUrl, "getTokenAccountsByOwner", [owner.publicKey.toBase58(), {}]);
      assert.equal(noFilter.error?.code, -32602);
    });

    it("serves @solana/spl-token's getAccount and getMint unchanged", async () => {
      const account = await getAccount(connection, ownerAta);
      assert.equal(account.amount, 12_345_678n);
      assert.ok(account.owner.equals(owner.publicKey));
      const m = await getMint(connection, mint);
      assert.equal(m.decimals, 6);
      assert.equal(m.supply, 12_345_678n);
    });
  });
});
