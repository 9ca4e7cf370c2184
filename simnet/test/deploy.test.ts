// migrations/deploy.ts against the local chain, and the program driven through anchor's AnchorProvider and
// the SDK over real JSON-RPC: the deploy is idempotent, upgrades when the build changes, and the deployed
// program bills a team as on a cluster (balances, events, program errors as AnchorError).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { AnchorError, AnchorProvider, Wallet } from "@coral-xyz/anchor";
import { TOKEN_PROGRAM_ID, createAssociatedTokenAccount, getAccount, mintTo } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey } from "@solana/web3.js";
import { deploy, type DeployOptions } from "../../migrations/deploy";
import { BPF_LOADER_UPGRADEABLE_PROGRAM_ID, programDataAddress, readProgramData } from "../../migrations/loader";
import { DeployError } from "../../migrations/program";
import { PrepaidBillingClient, USDC, isProgramError } from "../../sdk/src";
import type { Simnet } from "../server";
import { connect, disconnect, fundedKeypair, programCopy, programKeypair, repoRoot, runCommand, startTestSimnet, tempDir } from "./helpers";

describe("deploying prepaid_billing to simnet", function () {
  this.timeout(180_000);
  let sim: Simnet;
  let connection: Connection;
  let tmp: { dir: string; remove(): void };
  let elf: Buffer;
  let soPath: string;
  const payer = Keypair.generate();
  let base: DeployOptions;
  let first: Awaited<ReturnType<typeof deploy>>;

  before(async () => {
    tmp = tempDir("simnet-deploy");
    ({ elf, soPath } = programCopy(tmp.dir));
    sim = await startTestSimnet();
    connection = connect(sim);
    base = { url: sim.rpcUrl, payer, programKeypair: programKeypair(), elf, usdcMint: "local", airdropBelow: 50n * BigInt(LAMPORTS_PER_SOL) };
  });
  after(async () => {
    await disconnect(connection);
    await sim.close();
    tmp.remove();
  });

  it("deploys through BPFLoaderUpgradeable and initialises the config with its token accounts", async () => {
    const lines: string[] = [];
    first = await deploy({ ...base, log: (l) => lines.push(l) });
    assert.equal(first.programAction, "deployed");
    assert.equal(first.configAction, "initialized");
    assert.ok(first.transactions > 50, `${first.transactions} transactions`);
    const program = await connection.getAccountInfo(new PublicKey(first.programId));
    assert.ok(program?.executable);
    assert.ok(program.owner.equals(BPF_LOADER_UPGRADEABLE_PROGRAM_ID));
    const data = await connection.getAccountInfo(programDataAddress(new PublicKey(first.programId)));
    const state = data ? readProgramData(Uint8Array.from(data.data)) : null;
    assert.ok(state);
    assert.ok(state.authority?.equals(payer.publicKey));
    assert.ok(Buffer.from(state.code.subarray(0, elf.length)).equals(elf));
    const treasury = await getAccount(connection, new PublicKey(first.treasury));
    const stakers = await getAccount(connection, new PublicKey(first.stakerPool));
    assert.equal(treasury.mint.toBase58(), first.usdcMint);
    assert.equal(stakers.mint.toBase58(), first.usdcMint);
    assert.ok(!treasury.address.equals(stakers.address));
    assert.equal(first.billingAuthority, payer.publicKey.toBase58());
    assert.ok(lines.some((l) => /deployed \(\d+ write transactions\)/.test(l)), lines.join("\n"));
  });

  it("changes nothing on a second run and says so", async () => {
    const lines: string[] = [];
    const balance = await connection.getBalance(payer.publicKey);
    const second = await deploy({ ...base, log: (l) => lines.push(l) });
    assert.equal(second.transactions, 0);
    assert.equal(second.programAction, "unchanged");
    assert.equal(second.configAction, "unchanged");
    assert.deepEqual({ ...second, programAction: first.programAction, configAction: first.configAction, transactions: first.transactions }, first);
    assert.equal(await connection.getBalance(payer.publicKey), balance);
    assert.ok(lines.includes("nothing to do: the deployment is up to date"), lines.join("\n"));
  });

  it("bills a team through anchor's AnchorProvider and the SDK over JSON-RPC", async () => {
    const provider = new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed" });
    const client = new PrepaidBillingClient(provider, { programId: new PublicKey(first.programId) });
    const mint = new PublicKey(first.usdcMint);
    const owner = await fundedKeypair(connection, 5);
    const ownerToken = await createAssociatedTokenAccount(connection, payer, mint, owner.publicKey);
    await mintTo(connection, payer, mint, ownerToken, payer, 200n * USDC);

    await client.createTeamAccount({ owner, tier: 0, usdcMint: mint });
    const deposit = await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 100n * USDC });
    assert.equal(await client.vaultBalance(owner.publicKey), 100n * USDC);
    const deposited = await client.eventsOf(deposit);
    assert.equal(deposited[0]?.name, "FundsDeposited");

    await client.rollPeriod({ teamOwner: owner.publicKey });
    assert.equal((await getAccount(connection, new PublicKey(first.treasury))).amount, 45n * USDC);
    assert.equal((await getAccount(connection, new PublicKey(first.stakerPool))).amount, 5n * USDC);
    assert.equal(await client.vaultBalance(owner.publicKey), 50n * USDC);

    const teams = await client.program.account.teamBillingAccount.all();
    assert.deepEqual(teams.map((t) => t.publicKey.toBase58()), [client.teamAddress(owner.publicKey).toBase58()]);
    const team = await client.fetchTeam(owner.publicKey);
    assert.equal(team.baseFeePaid, true);
  });

  it("surfaces the program's errors as AnchorError through preflight", async () => {
    const provider = new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed" });
    const client = new PrepaidBillingClient(provider, { programId: new PublicKey(first.programId) });
    const owner = await fundedKeypair(connection, 2);
    const ownerToken = await createAssociatedTokenAccount(connection, payer, new PublicKey(first.usdcMint), owner.publicKey);
    await client.createTeamAccount({ owner, tier: 0, usdcMint: new PublicKey(first.usdcMint) });
    // Through the SDK's sender (provider.sendAndConfirm): a SendTransactionError whose logs name the error.
    const sent = await client.withdrawUnused({ owner, ownerToken }).catch((e: unknown) => e);
    assert.ok(isProgramError(sent, "NoPendingWithdrawal"), String(sent));
    // Through anchor's methods builder: translated to AnchorError from the preflight logs.
    const err = await client.program.methods
      .withdrawUnused()
      .accountsStrict({
        owner: owner.publicKey,
        ownerToken,
        config: client.configAddress,
        team: client.teamAddress(owner.publicKey),
        vault: client.vaultAddress(owner.publicKey),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .signers([owner])
      .rpc()
      .catch((e: unknown) => e);
    assert.ok(err instanceof AnchorError, String(err));
    assert.equal(err.error.errorCode.code, "NoPendingWithdrawal");
    assert.equal(err.error.errorCode.number, 6011);
  });

  it("reports a changed build with upgrade off, and upgrades it (extending the program data) otherwise", async () => {
    // Bytes after the ELF's last section are ignored by the loader: a build that differs but still loads.
    const changed = Buffer.concat([elf, Buffer.alloc(elf.length + 64, 0x5a)]);
    const reported = await deploy({ ...base, elf: changed, upgrade: false });
    assert.equal(reported.programAction, "differs");
    assert.equal(reported.transactions, 0);
    const lines: string[] = [];
    const upgraded = await deploy({ ...base, elf: changed, log: (l) => lines.push(l) });
    assert.equal(upgraded.programAction, "upgraded");
    assert.ok(lines.some((l) => l.startsWith("extending program data")), lines.join("\n"));
    const data = await connection.getAccountInfo(programDataAddress(new PublicKey(first.programId)));
    assert.ok(data && Buffer.from(readProgramData(Uint8Array.from(data.data))?.code.subarray(0, changed.length) ?? []).equals(changed));
    assert.equal((await deploy({ ...base, elf: changed })).transactions, 0);
    // The upgraded program still runs.
    const provider = new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed" });
    const client = new PrepaidBillingClient(provider, { programId: new PublicKey(first.programId) });
    const owner = await fundedKeypair(connection, 2);
    await client.createTeamAccount({ owner, tier: 1, usdcMint: new PublicKey(first.usdcMint) });
    assert.equal((await client.fetchTeam(owner.publicKey)).tier, 1);
  });

  it("refuses to reuse a config initialised for another mint", async () => {
    const err = await deploy({ ...base, usdcMint: Keypair.generate().publicKey, elf: Buffer.concat([elf, Buffer.alloc(elf.length + 64, 0x5a)]) }).catch((e: unknown) => e);
    assert.ok(err instanceof DeployError, String(err));
    assert.match(err.message, /already exists for mint/);
  });

  it("runs as a command: a first run deploys, a second sends nothing (--json), usage errors exit with 2", async () => {
    const fresh = await startTestSimnet();
    try {
      const keypairPath = path.join(tmp.dir, "payer.json");
      fs.writeFileSync(keypairPath, JSON.stringify(Array.from(Keypair.generate().secretKey)));
      // Asynchronously: the chain serves from this process, so a blocking spawn would starve it.
      const run = (...args: string[]) => runCommand(path.join(repoRoot, "migrations", "deploy.ts"), args);
      const args = ["--url", fresh.rpcUrl, "--keypair", keypairPath, "--so", soPath, "--local-usdc-mint", "--airdrop", "10", "--withdrawal-notice-secs", "5"];
      const one = await run(...args);
      assert.equal(one.status, 0, one.stdout + one.stderr);
      assert.match(one.stdout, /program \w+ deployed/);
      assert.match(one.stdout, /config \w+ initialised/);
      const two = await run(...args, "--json");
      assert.equal(two.status, 0, two.stdout + two.stderr);
      const result = JSON.parse(two.stdout.trim()) as { transactions: number; programAction: string; configAction: string; usdcMint: string };
      assert.deepEqual([result.programAction, result.configAction, result.transactions], ["unchanged", "unchanged", 0]);
      assert.match(two.stderr, /nothing to do: the deployment is up to date/);
      const provider = new AnchorProvider(new Connection(fresh.rpcUrl, "confirmed"), new Wallet(payer), {});
      const config = await new PrepaidBillingClient(provider).fetchConfig();
      assert.equal(config.withdrawalNoticeSecs, 5n);
      assert.equal(config.usdcMint.toBase58(), result.usdcMint);

      const usage = await run("--url", "ftp://x");
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /--url expects an http\(s\) URL/);
      const missing = await run("--url", fresh.rpcUrl, "--keypair", keypairPath, "--so", soPath);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /--usdc-mint <address> or --local-usdc-mint is required/);
      const badKeypair = await run("--url", fresh.rpcUrl, "--keypair", soPath, "--so", soPath, "--local-usdc-mint");
      assert.equal(badKeypair.status, 2);
      assert.match(badKeypair.stderr, /is not a keypair file/);
    } finally {
      await fresh.close();
    }
  });
});
