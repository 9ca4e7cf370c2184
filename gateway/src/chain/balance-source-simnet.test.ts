// ChainBalanceSource against simnet (JSON-RPC + PubSub over litesvm) with the program deployed by
// migrations/deploy.ts: account notifications carry deposits and withdrawal requests at once, an older
// slot never overwrites a newer one, polling at pollMs takes over while the WebSocket is gone, and stop()
// leaves nothing behind.
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { AnchorProvider, Wallet } from "@coral-xyz/anchor";
import { createAssociatedTokenAccount, mintTo } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, type AccountInfo, type Context } from "@solana/web3.js";
import { deploy } from "../../../migrations/deploy";
import { PrepaidBillingClient, USDC } from "../../../sdk/src";
import type { Simnet } from "../../../simnet/server";
import {
  connect,
  disconnect,
  fundedKeypair,
  programCopy,
  programKeypair,
  runCommand,
  sleep,
  startTestSimnet,
  tempDir,
  waitFor,
} from "../../../simnet/test/helpers";
import { ChainBalanceSource, type AccountsConnection } from "./balance-source";

type Notice = { info: AccountInfo<Buffer>; ctx: Context };

/**
 * A real connection whose account notifications are recorded on their way to the source, so a test can
 * deliver one of them again later: what a late, reordered notification looks like.
 */
class RecordingConnection implements AccountsConnection {
  private readonly callbacks = new Map<string, (info: AccountInfo<Buffer>, ctx: Context) => void>();
  readonly notices = new Map<string, Notice[]>();
  constructor(readonly inner: Connection) {}
  getMultipleAccountsInfoAndContext: Connection["getMultipleAccountsInfoAndContext"] = (...args) =>
    this.inner.getMultipleAccountsInfoAndContext(...args);
  onAccountChange = ((key: PublicKey, callback: (info: AccountInfo<Buffer>, ctx: Context) => void, config?: { commitment?: "confirmed" }) => {
    const address = key.toBase58();
    this.callbacks.set(address, callback);
    return this.inner.onAccountChange(
      key,
      (info, ctx) => {
        this.notices.set(address, [...(this.notices.get(address) ?? []), { info, ctx }]);
        callback(info, ctx);
      },
      config,
    );
  }) as Connection["onAccountChange"];
  removeAccountChangeListener: Connection["removeAccountChangeListener"] = (id) => this.inner.removeAccountChangeListener(id);
  onSlotChange: Connection["onSlotChange"] = (cb) => this.inner.onSlotChange(cb);
  removeSlotChangeListener: Connection["removeSlotChangeListener"] = (id) => this.inner.removeSlotChangeListener(id);

  /** Delivers a recorded notification of `address` to the source again. */
  replay(address: string, notice: Notice): void {
    const callback = this.callbacks.get(address);
    if (!callback) throw new Error(`no subscription to ${address}`);
    callback(notice.info, notice.ctx);
  }
}

/** A TCP relay to simnet's PubSub port that can be taken down and brought back on the same port. */
async function relay(targetPort: number): Promise<{ port: number; down(): Promise<void>; up(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(targetPort, "127.0.0.1");
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on("close", () => sockets.delete(sock));
          sock.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const sock of sockets) sock.destroy();
      if (server === null) return resolve();
      server.close(() => resolve());
      server = null;
    });
  await up();
  return { port, down, up };
}

describe("chain balance source over simnet: account subscriptions with a polling fallback", function () {
  this.timeout(60_000);
  let sim: Simnet;
  let tmp: { dir: string; remove(): void };
  let sender: Connection;
  let client: PrepaidBillingClient;
  let mint: PublicKey;
  let programId: PublicKey;
  const payer = Keypair.generate();
  let src: ChainBalanceSource | undefined;
  let watched: Connection | undefined;

  before(async () => {
    tmp = tempDir("gw-balance-subscriptions");
    const { elf } = programCopy(tmp.dir);
    sim = await startTestSimnet();
    const deployed = await deploy({
      url: sim.rpcUrl,
      payer,
      programKeypair: programKeypair(),
      elf,
      usdcMint: "local",
      airdropBelow: 50n * BigInt(LAMPORTS_PER_SOL),
    });
    programId = new PublicKey(deployed.programId);
    mint = new PublicKey(deployed.usdcMint);
    sender = connect(sim);
    client = new PrepaidBillingClient(new AnchorProvider(sender, new Wallet(payer), { commitment: "confirmed" }), { programId });
  });

  afterEach(async () => {
    await src?.stop();
    src = undefined;
    if (watched) await disconnect(watched);
    watched = undefined;
  });

  after(async () => {
    if (sender) await disconnect(sender);
    await sim?.close();
    tmp?.remove();
  });

  /** A team on chain holding `deposit` in its vault; its owner keeps 1,000 USDC to deposit more. */
  async function newTeam(deposit: bigint) {
    const owner = await fundedKeypair(sender, 2);
    const ownerToken = await createAssociatedTokenAccount(sender, payer, mint, owner.publicKey);
    await mintTo(sender, payer, mint, ownerToken, payer, 1_000n * USDC);
    await client.createTeamAccount({ owner, tier: 0, usdcMint: mint });
    if (deposit > 0n) await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: deposit });
    const deposit_ = (amount: bigint) => client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount });
    return {
      owner,
      address: client.teamAddress(owner.publicKey).toBase58(),
      vault: client.vaultAddress(owner.publicKey).toBase58(),
      deposit: deposit_,
      requestWithdrawal: (amount: bigint) => client.requestWithdrawal({ owner, amount }),
    };
  }

  /** Started and subscribed, with the first heartbeat's catch-up poll done. */
  async function started(s: ChainBalanceSource, team: string): Promise<void> {
    await s.follow(team);
    s.start();
    await waitFor(() => s.subscriptionsHealthy(), 5_000, "a slot notification");
    await waitFor(() => s.polls >= 1 && s.pollStartedAt === null, 5_000, "the catch-up poll");
  }

  it("sees a deposit and a withdrawal request by notification, long before the next poll", async () => {
    const t = await newTeam(10n * USDC);
    watched = connect(sim);
    src = new ChainBalanceSource({ connection: watched, programId, pollMs: 60_000 });
    await started(src, t.address);
    assert.equal(src.peek(t.address)?.vaultBalance, 10n * USDC);
    const polls = src.polls;

    const depositAt = Date.now();
    await t.deposit(5n * USDC);
    await waitFor(() => src!.peek(t.address)?.vaultBalance === 15n * USDC, 2_000, "the deposit in the state");
    const seenMs = Date.now() - depositAt;
    assert.ok(seenMs < 2_000, `seen ${seenMs} ms after sending`);
    assert.ok(Date.now() - src.peek(t.address)!.observedAtMs < 1_000, "the notification stamped the state observed");

    await t.requestWithdrawal(3n * USDC);
    await waitFor(() => src!.peek(t.address)?.pendingWithdrawal === 3n * USDC, 2_000, "the withdrawal request in the state");
    assert.equal(src.polls, polls, "no poll ran: notifications carried both");
    assert.ok(src.notifications >= 2);
    assert.equal(src.lastNotificationError, null);
  });

  it("never lets a late notification from an older slot overwrite newer state", async () => {
    const t = await newTeam(10n * USDC);
    watched = connect(sim);
    const recording = new RecordingConnection(watched);
    src = new ChainBalanceSource({ connection: recording, programId, pollMs: 60_000 });
    await started(src, t.address);

    await t.deposit(1n * USDC);
    await t.requestWithdrawal(1n * USDC);
    await waitFor(() => src!.peek(t.address)?.pendingWithdrawal === 1n * USDC && src!.peek(t.address)?.vaultBalance === 11n * USDC, 2_000, "the first changes");
    const oldVault = recording.notices.get(t.vault)!.at(-1)!;
    const oldTeam = recording.notices.get(t.address)!.at(-1)!;
    const oldSlot = Math.max(oldVault.ctx.slot, oldTeam.ctx.slot);
    await waitFor(async () => (await sender.getSlot()) > oldSlot, 5_000, "a later slot");

    await t.deposit(2n * USDC);
    await t.requestWithdrawal(2n * USDC);
    await waitFor(() => src!.peek(t.address)?.pendingWithdrawal === 2n * USDC && src!.peek(t.address)?.vaultBalance === 13n * USDC, 2_000, "the later changes");
    const newer = src.peek(t.address)!;
    assert.ok(newer.slot > oldSlot);

    const before = src.notifications;
    recording.replay(t.vault, oldVault);
    recording.replay(t.address, oldTeam);
    assert.equal(src.notifications, before + 2, "both were delivered");
    const after = src.peek(t.address)!;
    assert.equal(after.vaultBalance, 13n * USDC, "the vault keeps the newer balance");
    assert.equal(after.pendingWithdrawal, 2n * USDC, "the team keeps the newer withdrawal request");
    assert.equal(after.slot, newer.slot);
  });

  it("polls at pollMs while the WebSocket is gone, keeps states fresh, and slows down again once it is back", async () => {
    const t = await newTeam(10n * USDC);
    const ws = await relay(sim.wsPort);
    watched = new Connection(sim.rpcUrl, { commitment: "confirmed", wsEndpoint: `ws://127.0.0.1:${ws.port}` });
    src = new ChainBalanceSource({ connection: watched, programId, pollMs: 200, fallbackPollMs: 60_000, heartbeatTimeoutMs: 1_000 });
    try {
      await started(src, t.address);
      let polls = src.polls;
      await sleep(1_000);
      assert.equal(src.polls, polls, "healthy subscriptions: no poll before fallbackPollMs");

      await ws.down();
      await waitFor(() => !src!.subscriptionsHealthy(), 3_000, "the missing heartbeat noticed");
      polls = src.polls;
      await sleep(1_000);
      assert.ok(src.polls - polls >= 3, `${src.polls - polls} polls in 1 s at pollMs 200`);
      assert.ok(Date.now() - src.peek(t.address)!.observedAtMs < 1_000, "each poll stamps the state observed");
      await t.deposit(4n * USDC);
      await waitFor(() => src!.peek(t.address)?.vaultBalance === 14n * USDC, 2_000, "the deposit, by polling");

      await ws.up();
      await waitFor(() => src!.subscriptionsHealthy(), 10_000, "the subscriptions back");
      await waitFor(() => src!.pollStartedAt === null, 2_000, "the catch-up poll");
      polls = src.polls;
      await t.deposit(1n * USDC);
      await waitFor(() => src!.peek(t.address)?.vaultBalance === 15n * USDC, 2_000, "the deposit, by notification");
      await sleep(500);
      assert.equal(src.polls, polls, "healthy again: back to fallbackPollMs");
    } finally {
      await src.stop();
      await ws.up().catch(() => undefined); // web3.js drops its socket once it can reach the server again
      await disconnect(watched);
      await ws.down();
    }
  });

  it("removes every subscription on stop, so nothing keeps the process alive", async () => {
    const t = await newTeam(10n * USDC);
    const base = sim.pubsubSubscriptions();
    watched = connect(sim);
    src = new ChainBalanceSource({ connection: watched, programId });
    await started(src, t.address);
    await waitFor(() => sim.pubsubSubscriptions() === base + 4, 2_000, "config, team, vault and slot subscriptions");
    await src.stop();
    assert.equal(src.subscribed, false);
    await waitFor(() => sim.pubsubSubscriptions() === base, 2_000, "the subscriptions removed on the chain");

    // In a process of its own: it must exit by itself once stop() returned.
    const child = path.join(__dirname, "balance-source-stop-child.ts");
    const run = await runCommand(child, [sim.rpcUrl, sim.wsUrl, programId.toBase58(), t.address], 30_000);
    const exitedAt = Date.now();
    assert.equal(run.signal, null, `killed: ${run.stderr}`);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim()) as { healthy: boolean; stoppedAtMs: number };
    assert.equal(out.healthy, true);
    assert.ok(exitedAt - out.stoppedAtMs < 3_000, `exited ${exitedAt - out.stoppedAtMs} ms after stop()`);
    await waitFor(() => sim.pubsubSubscriptions() === base, 2_000, "the child's subscriptions gone");
  });
});
