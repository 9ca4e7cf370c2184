// The chain survives restarts: a stopped (or killed) simnet started on the same ledger directory finds
// the same balances, program, history and genesis; --reset starts over; the directory is locked to one
// process; a torn journal line is cut. Also the command line (simnet/main.ts) as npm start runs it.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { AnchorProvider, Wallet } from "@coral-xyz/anchor";
import { createAssociatedTokenAccount, mintTo, transfer } from "@solana/spl-token";
import {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  NONCE_ACCOUNT_LENGTH,
  PublicKey,
  SYSVAR_CLOCK_PUBKEY,
  SystemProgram,
  Transaction,
  sendAndConfirmTransaction,
} from "@solana/web3.js";
import { deploy } from "../../migrations/deploy";
import { PrepaidBillingClient, USDC } from "../../sdk/src";
import { connect, disconnect, fundedKeypair, programCopy, programKeypair, repoRoot, runCommand, startTestSimnet, tempDir, waitFor } from "./helpers";

interface Snapshot {
  lamports: Record<string, number>;
  tokens: Record<string, string>;
  vault: bigint;
  signatures: string[];
  slot: number;
  genesis: string;
}

describe("simnet across restarts", function () {
  this.timeout(180_000);
  let tmp: { dir: string; remove(): void };
  let elf: Buffer;

  before(() => {
    tmp = tempDir("simnet-restart");
    ({ elf } = programCopy(tmp.dir));
  });
  after(() => tmp.remove());

  describe("in process", () => {
    const ledgerDir = () => path.join(tmp.dir, "ledger");
    const payer = Keypair.generate();
    const owner = Keypair.generate();
    const wallets = [Keypair.generate().publicKey, Keypair.generate().publicKey];
    let programId: PublicKey;
    let usdcMint: PublicKey;
    let ownerToken: PublicKey;
    let walletToken: PublicKey;
    let before: Snapshot;

    const snapshot = async (connection: Connection): Promise<Snapshot> => {
      const client = new PrepaidBillingClient(new AnchorProvider(connection, new Wallet(payer), {}), { programId });
      const keys = [payer.publicKey, owner.publicKey, ...wallets];
      const lamports: Record<string, number> = {};
      for (const k of keys) lamports[k.toBase58()] = await connection.getBalance(k);
      const tokens: Record<string, string> = {};
      for (const t of [ownerToken, walletToken]) tokens[t.toBase58()] = (await connection.getTokenAccountBalance(t)).value.amount;
      return {
        lamports,
        tokens,
        vault: await client.vaultBalance(owner.publicKey),
        signatures: (await connection.getSignaturesForAddress(owner.publicKey)).map((s) => s.signature),
        slot: await connection.getSlot(),
        genesis: await connection.getGenesisHash(),
      };
    };

    it("finds the same balances, program, team and history after a restart", async () => {
      let sim = await startTestSimnet({ ledgerDir: ledgerDir() });
      let connection = connect(sim);
      try {
        const deployed = await deploy({ url: sim.rpcUrl, payer, programKeypair: programKeypair(), elf, usdcMint: "local", airdropBelow: 20n * BigInt(LAMPORTS_PER_SOL) });
        programId = new PublicKey(deployed.programId);
        usdcMint = new PublicKey(deployed.usdcMint);
        const airdrop = await connection.requestAirdrop(owner.publicKey, 3 * LAMPORTS_PER_SOL);
        await connection.confirmTransaction({ signature: airdrop, ...(await connection.getLatestBlockhash()) });
        await sendAndConfirmTransaction(
          connection,
          new Transaction().add(...wallets.map((w, i) => SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: w, lamports: (i + 1) * LAMPORTS_PER_SOL }))),
          [payer],
        );
        ownerToken = await createAssociatedTokenAccount(connection, payer, usdcMint, owner.publicKey);
        walletToken = await createAssociatedTokenAccount(connection, payer, usdcMint, wallets[0]);
        await mintTo(connection, payer, usdcMint, ownerToken, payer, 150n * USDC);
        await transfer(connection, payer, ownerToken, walletToken, owner, 7_654_321n);
        const client = new PrepaidBillingClient(new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed" }), { programId });
        await client.createTeamAccount({ owner, tier: 0, usdcMint });
        await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 100n * USDC });
        await client.rollPeriod({ teamOwner: owner.publicKey });
        before = await snapshot(connection);
        assert.equal(before.vault, 50n * USDC);
      } finally {
        await disconnect(connection);
        await sim.close();
      }

      sim = await startTestSimnet({ ledgerDir: ledgerDir() });
      connection = connect(sim);
      try {
        assert.ok(sim.replay.transactions > 90, `replayed ${sim.replay.transactions}`);
        assert.equal(sim.replay.diverged, 0);
        const after = await snapshot(connection);
        assert.deepEqual(after.lamports, before.lamports);
        assert.deepEqual(after.tokens, before.tokens);
        assert.equal(after.vault, before.vault);
        assert.deepEqual(after.signatures, before.signatures);
        assert.equal(after.genesis, before.genesis);
        assert.ok(after.slot > before.slot, `slot ${before.slot} -> ${after.slot}`);
        // History reads as before, and the clock is wall time again.
        const first = await connection.getTransaction(before.signatures[before.signatures.length - 1], { maxSupportedTransactionVersion: 0 });
        assert.equal(first?.meta?.err, null);
        const clock = await connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY);
        assert.ok(Math.abs(Number(clock?.data.readBigInt64LE(32)) - Date.now() / 1000) <= 2);
        // The deployed program runs after the replay.
        const client = new PrepaidBillingClient(new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed" }), { programId });
        await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 10n * USDC });
        assert.equal(await client.vaultBalance(owner.publicKey), 60n * USDC);
        const again = await deploy({ url: sim.rpcUrl, payer, programKeypair: programKeypair(), elf, usdcMint: "local" });
        assert.equal(again.transactions, 0);
      } finally {
        await disconnect(connection);
        await sim.close();
      }
    });

    it("starts a new chain with --reset", async () => {
      const sim = await startTestSimnet({ ledgerDir: ledgerDir(), reset: true });
      const connection = connect(sim);
      try {
        assert.equal(sim.replay.transactions, 0);
        assert.notEqual(await connection.getGenesisHash(), before.genesis);
        assert.equal(await connection.getBalance(payer.publicKey), 0);
        assert.equal(await connection.getAccountInfo(programId), null);
      } finally {
        await disconnect(connection);
        await sim.close();
      }
    });

    it("loads --bpf-program programs once: journaled, replayed, and reloaded only when the file changes", async () => {
      const dir = path.join(tmp.dir, "bpf");
      const soPath = path.join(tmp.dir, "direct.so");
      fs.writeFileSync(soPath, elf);
      const id = Keypair.generate().publicKey.toBase58();
      const journal = path.join(dir, "journal.jsonl");
      const lines: string[] = [];
      const open = () => startTestSimnet({ ledgerDir: dir, programs: [{ programId: id, soPath }], log: (l) => lines.push(l) });
      let sim = await open();
      assert.equal((await new Connection(sim.rpcUrl, "confirmed").getAccountInfo(new PublicKey(id)))?.executable, true);
      await sim.close();
      const size = fs.statSync(journal).size;
      sim = await open();
      assert.equal(sim.replay.programs, 1);
      assert.equal((await new Connection(sim.rpcUrl, "confirmed").getAccountInfo(new PublicKey(id)))?.executable, true);
      await sim.close();
      assert.equal(fs.statSync(journal).size, size);
      assert.ok(lines.some((l) => l.includes(`program ${id} already holds`)), lines.join("\n"));
      fs.writeFileSync(soPath, Buffer.concat([elf, Buffer.from("changed")]));
      sim = await open();
      await sim.close();
      assert.ok(fs.statSync(journal).size > size);
    });

    it("serves durable-nonce transactions and replays them to the same nonce", async () => {
      const dir = path.join(tmp.dir, "nonce");
      let sim = await startTestSimnet({ ledgerDir: dir, slotMs: 100 });
      let connection = connect(sim);
      const nonceAccount = Keypair.generate();
      let nonceAfter: string;
      try {
        const wallet = await fundedKeypair(connection, 5);
        const lamports = await connection.getMinimumBalanceForRentExemption(NONCE_ACCOUNT_LENGTH);
        await sendAndConfirmTransaction(
          connection,
          new Transaction().add(SystemProgram.createNonceAccount({ fromPubkey: wallet.publicKey, noncePubkey: nonceAccount.publicKey, authorizedPubkey: wallet.publicKey, lamports })),
          [wallet, nonceAccount],
        );
        const nonceTx = async (to: PublicKey) => {
          const nonce = (await connection.getNonce(nonceAccount.publicKey))?.nonce;
          assert.ok(nonce);
          const tx = new Transaction({ feePayer: wallet.publicKey, recentBlockhash: nonce }).add(
            SystemProgram.nonceAdvance({ noncePubkey: nonceAccount.publicKey, authorizedPubkey: wallet.publicKey }),
            SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: LAMPORTS_PER_SOL }),
          );
          tx.sign(wallet);
          return tx;
        };
        // Wait past the slot the nonce was created in (one advance per runtime blockhash).
        const created = await connection.getSlot();
        await waitFor(async () => (await connection.getSlot()) > created, 3_000, "the next slot");
        const to = Keypair.generate().publicKey;
        const first = await nonceTx(to);
        await connection.sendRawTransaction(first.serialize());
        assert.equal(await connection.getBalance(to), LAMPORTS_PER_SOL);
        // The nonce moved on: the same nonce is now an unknown blockhash.
        const reuse = new Transaction({ feePayer: wallet.publicKey, recentBlockhash: first.recentBlockhash }).add(
          SystemProgram.nonceAdvance({ noncePubkey: nonceAccount.publicKey, authorizedPubkey: wallet.publicKey }),
          SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: 2 }),
        );
        reuse.sign(wallet);
        const refused = await connection.sendRawTransaction(reuse.serialize()).catch((e: unknown) => e);
        assert.match(String(refused), /Blockhash not found/);
        const created2 = await connection.getSlot();
        await waitFor(async () => (await connection.getSlot()) > created2, 3_000, "the next slot");
        await connection.sendRawTransaction((await nonceTx(to)).serialize());
        assert.equal(await connection.getBalance(to), 2 * LAMPORTS_PER_SOL);
        nonceAfter = (await connection.getNonce(nonceAccount.publicKey))?.nonce ?? "";
      } finally {
        await disconnect(connection);
        await sim.close();
      }
      sim = await startTestSimnet({ ledgerDir: dir });
      connection = connect(sim);
      try {
        assert.equal(sim.replay.diverged, 0);
        assert.equal((await connection.getNonce(nonceAccount.publicKey))?.nonce, nonceAfter);
      } finally {
        await disconnect(connection);
        await sim.close();
      }
    });

    it("cuts a torn last journal line and keeps everything before it", async () => {
      const dir = path.join(tmp.dir, "torn");
      let sim = await startTestSimnet({ ledgerDir: dir });
      const connection = connect(sim);
      const wallet = await fundedKeypair(connection, 4);
      await disconnect(connection);
      await sim.close();
      fs.appendFileSync(path.join(dir, "journal.jsonl"), '{"k":"tx","s":"9","t":"1","raw":"AQ');
      const lines: string[] = [];
      sim = await startTestSimnet({ ledgerDir: dir, log: (l) => lines.push(l) });
      try {
        assert.ok(lines.some((l) => /cut \d+ bytes of a torn last line/.test(l)), lines.join("\n"));
        assert.equal(await new Connection(sim.rpcUrl, "confirmed").getBalance(wallet.publicKey), 4 * LAMPORTS_PER_SOL);
        assert.ok(!fs.readFileSync(path.join(dir, "journal.jsonl"), "utf8").includes('"raw":"AQ\n'));
      } finally {
        await sim.close();
      }
    });
  });

  describe("as a process", () => {
    const main = path.join(repoRoot, "simnet", "main.ts");
    const children: ChildProcess[] = [];
    after(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    });

    /** Starts simnet/main.ts and resolves with its URLs once it prints its ready line. */
    const start = (args: string[]): Promise<{ child: ChildProcess; rpcUrl: string; wsUrl: string; output: () => string }> =>
      new Promise((resolve, reject) => {
        // `node --import tsx` runs the chain in this one process (tsx's cli would add a parent process,
        // and a SIGKILL of that parent would not reach the chain).
        const child = spawn(process.execPath, ["--import", "tsx", main, "--port", "0", "--ws-port", "0", ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
        children.push(child);
        let out = "";
        const onData = (d: Buffer) => {
          out += d.toString();
          const m = /simnet ready: RPC (\S+)\s+PubSub (\S+)/.exec(out);
          if (m) resolve({ child, rpcUrl: m[1], wsUrl: m[2], output: () => out });
        };
        child.stdout?.on("data", onData);
        child.stderr?.on("data", onData);
        child.on("exit", (code) => reject(new Error(`simnet exited with ${code} before it was ready:\n${out}`)));
      });
    const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    it("keeps what it acknowledged when killed with SIGKILL, and stops cleanly on SIGINT", async () => {
      const dir = path.join(tmp.dir, "process");
      const first = await start(["--ledger-dir", dir]);
      const connection = new Connection(first.rpcUrl, { commitment: "confirmed", wsEndpoint: first.wsUrl });
      const wallet = await fundedKeypair(connection, 7);
      const to = Keypair.generate().publicKey;
      await sendAndConfirmTransaction(connection, new Transaction().add(SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: LAMPORTS_PER_SOL })), [wallet]);
      await disconnect(connection);
      first.child.kill("SIGKILL");
      await exited(first.child);

      const second = await start(["--ledger-dir", dir]);
      assert.match(second.output(), /replayed 2 transactions/);
      const again = new Connection(second.rpcUrl, "confirmed");
      assert.equal(await again.getBalance(to), LAMPORTS_PER_SOL);
      assert.equal(await again.getBalance(wallet.publicKey), 6 * LAMPORTS_PER_SOL - 5_000);
      second.child.kill("SIGINT");
      assert.equal(await exited(second.child), 0);
      assert.equal(fs.existsSync(path.join(dir, "simnet.lock")), false);
      assert.ok(fs.existsSync(path.join(dir, "head.json")));
    });

    it("refuses a ledger directory another process holds", async () => {
      const dir = path.join(tmp.dir, "locked");
      const owner = await start(["--ledger-dir", dir]);
      const second = await runCommand(main, ["--port", "0", "--ws-port", "0", "--ledger-dir", dir]);
      assert.equal(second.status, 1);
      assert.match(second.stderr, /is in use by process \d+/);
      owner.child.kill("SIGTERM");
      assert.equal(await exited(owner.child), 0);
    });

    it("refuses unknown options and bad values with exit code 2 and the usage", async () => {
      const unknown = await runCommand(main, ["--frobnicate"]);
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /unknown option --frobnicate/);
      assert.match(unknown.stderr, /usage: npx tsx simnet\/main.ts/);
      const port = await runCommand(main, ["--port", "70000"]);
      assert.equal(port.status, 2);
      const help = await runCommand(main, ["--help"]);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /--ledger-dir/);
    });

    it("serves on the default WebSocket port next to the HTTP port, as web3.js derives it", async () => {
      // Find two free consecutive ports by asking the OS for one and trying the next.
      const net = await import("node:net");
      const freePort = () =>
        new Promise<number>((resolve) => {
          const s = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (s.address() as { port: number }).port;
            s.close(() => resolve(p));
          });
        });
      let port = await freePort();
      if (port >= 65535) port = await freePort();
      const sim = await startTestSimnet({ port, wsPort: undefined }).catch(() => null);
      if (!sim) return; // the next port was taken: nothing to check on this machine at this moment
      const connection = new Connection(sim.rpcUrl, "confirmed"); // no wsEndpoint: web3.js uses port + 1
      try {
        assert.equal(sim.wsPort, port + 1);
        const slots: number[] = [];
        const id = connection.onSlotChange((s) => slots.push(s.slot));
        await waitFor(() => slots.length > 0, 5_000, "a slot notification on port + 1");
        await connection.removeSlotChangeListener(id);
      } finally {
        await disconnect(connection);
        await sim.close();
      }
    });
  });
});
