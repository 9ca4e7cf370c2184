// The I/O thread against simnet and the embedded ledger: the request thread's mirror follows a team's
// state through the worker's subscriptions, the ledger answers through it, and a worker lost to an
// uncaught error is replaced: calls are refused meanwhile, its successor follows the team again, and a
// deposit made after the restart reaches the mirror.
import assert from "node:assert/strict";
import path from "node:path";
import { AnchorProvider } from "@coral-xyz/anchor";
import { createAccount, createMint, mintTo } from "@solana/spl-token";
import { Keypair, type Connection, type PublicKey } from "@solana/web3.js";
import { api, createLedgerClient } from "../../../ledger/client";
import { startSidecarProcess, type SidecarProcess } from "../../../ledger/start-sidecar";
import { PrepaidBillingClient } from "../../../sdk/src/client";
import { PROGRAM_ID, USDC } from "../../../sdk/src/constants";
import type { Simnet } from "../../../simnet/server";
import { connect, disconnect, fundedKeypair, programCopy, startTestSimnet, tempDir } from "../../../simnet/test/helpers";
import { keypairWallet } from "../chain/keypair-wallet";
import { hashApiKey } from "../keys/hash";
import { CRASH_KEY_HASH } from "../../test/io-thread-crash-worker";
import { startIoThread, type IoThreadServices } from "./services";

const CRASHING_WORKER = path.resolve(__dirname, "../../test/io-thread-crash-worker.ts");

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, withinMs = 10_000): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the gateway's I/O thread against simnet and the embedded ledger", function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir> | undefined;
  let sim: Simnet;
  let connection: Connection;
  let sidecar: SidecarProcess;
  let io: IoThreadServices | null = null;
  let client: PrepaidBillingClient;
  let owner: Keypair;
  let ownerToken: PublicKey;
  let team: string;
  let key: string;

  before(async () => {
    tmp = tempDir("gw-io-thread");
    const { soPath } = programCopy(tmp.dir);
    sim = await startTestSimnet({ programs: [{ programId: PROGRAM_ID.toBase58(), soPath }] });
    connection = connect(sim);
    sidecar = await startSidecarProcess({ dataDir: path.join(tmp.dir, "ledger"), crons: false, fsync: false });
    const admin = await fundedKeypair(connection, 100);
    client = new PrepaidBillingClient(new AnchorProvider(connection, keypairWallet(admin), { commitment: "confirmed" }));
    const mint = await createMint(connection, admin, admin.publicKey, null, 6);
    const treasury = await createAccount(connection, admin, mint, Keypair.generate().publicKey);
    const stakerPool = await createAccount(connection, admin, mint, Keypair.generate().publicKey);
    await client.initializeConfig({ admin: admin.publicKey, usdcMint: mint, treasury, stakerPool, billingAuthority: admin.publicKey });
    owner = await fundedKeypair(connection, 2);
    ownerToken = await createAccount(connection, admin, mint, owner.publicKey);
    await mintTo(connection, admin, mint, ownerToken, admin, 1_000n * USDC);
    await client.createTeamAccount({ owner, tier: 0, usdcMint: mint });
    await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 10n * USDC });
    team = client.teamAddress(owner.publicKey).toBase58();
    const ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
    const wallet = owner.publicKey.toBase58();
    const { teamId } = await ledger.as(wallet).mutation(api.teams.create, { name: "I/O thread", tier: 0, chainTeam: team, vault: client.vaultAddress(owner.publicKey).toBase58() });
    ({ key } = await ledger.as(wallet).mutation(api.apiKeys.create, { teamId, name: "io" }));

    io = await startIoThread(
      {
        rpcUrl: sim.rpcUrl,
        wsUrl: sim.wsUrl,
        billingAuthoritySecret: admin.secretKey,
        programId: PROGRAM_ID.toBase58(),
        ledgerUrl: sidecar.url,
        ledgerServerSecret: sidecar.serverSecret,
        balancesPollMs: 200,
        indexer: false,
      },
      { file: CRASHING_WORKER, restartDelayMs: 200 },
    );
  });

  after(async () => {
    await io?.stop();
    await sidecar?.stop();
    if (connection) await disconnect(connection);
    await sim?.close();
    tmp?.remove();
  });

  it("mirrors a followed team's state and answers key lookups from the ledger", async () => {
    const state = await io!.balances.follow(team);
    assert.equal(state?.vaultBalance, 10n * USDC);
    assert.equal(io!.balances.peek(team)?.vaultBalance, 10n * USDC);
    const record = await io!.keys.resolve(hashApiKey(key));
    assert.equal(record?.team, team);
    assert.equal(await io!.keys.resolve(hashApiKey("not a key")), null);
    // A deposit reaches the mirror by the worker's subscription (or its poll).
    await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 1n * USDC });
    await eventually("the deposit in the mirror", () => (io!.balances.peek(team)?.vaultBalance === 11n * USDC ? true : undefined));
  });

  it("renews and releases balance leases in the ledger", async () => {
    const grants = await io!.leases.renew("io-thread-test", 10_000, [{ team, usingBps: 10_000, floorBps: 0, demand: 3 }]);
    assert.deepEqual(grants.map((g) => [g.team, g.bps, g.targetBps]), [[team, 10_000, 10_000]]);
    await io!.leases.release("io-thread-test", [team]);
    const again = await io!.leases.renew("io-thread-other", 10_000, [{ team, usingBps: 10_000, floorBps: 0, demand: 0 }]);
    assert.equal(again[0]!.bps, 10_000, "released: the whole is free again");
    await io!.leases.release("io-thread-other");
  });

  it("replaces a worker lost to an uncaught error: refuses calls meanwhile, then follows the team again", async () => {
    assert.equal(io!.restarts, 0);
    await io!.keys.resolve(CRASH_KEY_HASH).catch(() => undefined); // answered (no such key) or refused, then the worker dies
    await eventually("a call refused while the worker is gone", () =>
      io!.keys.resolve(hashApiKey(key)).then(
        () => undefined,
        (err: Error) => err.message,
      ),
    );
    await eventually("the successor worker", () => (io!.restarts === 1 ? true : undefined));
    assert.equal((await io!.keys.resolve(hashApiKey(key)))?.team, team);
    // The successor subscribed to the team again: a new deposit reaches the mirror.
    await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: 2n * USDC });
    await eventually("the deposit after the restart in the mirror", () => (io!.balances.peek(team)?.vaultBalance === 13n * USDC ? true : undefined));
  });

  it("reports a worker ended by stop() as stopped, not lost", async () => {
    await eventually("a healthy successor", () => (io!.balances.lastError === null ? true : undefined));
    await io!.stop();
    assert.equal(io!.balances.lastError, null);
    await assert.rejects(io!.keys.resolve(hashApiKey(key)));
  });
});
