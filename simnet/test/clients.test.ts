// Clients other than web3.js's Connection: @solana/kit's RPC and RPC subscriptions (what newer wallet
// code and the SDK's kit side use) read the chain and follow it unchanged. Plus the fee-payer failures a
// wallet meets first: an unknown or unfunded payer.
import assert from "node:assert/strict";
import { address, createSolanaRpc, createSolanaRpcSubscriptions, lamports } from "@solana/kit";
import { Keypair, LAMPORTS_PER_SOL, SystemProgram, Transaction, type Connection } from "@solana/web3.js";
import type { Simnet } from "../server";
import { call, connect, disconnect, startTestSimnet, waitFor } from "./helpers";

describe("simnet with other clients", () => {
  let sim: Simnet;
  let connection: Connection;

  before(async () => {
    sim = await startTestSimnet({ slotMs: 100 });
    connection = connect(sim);
  });
  after(async () => {
    await disconnect(connection);
    await sim.close();
  });

  it("answers @solana/kit's RPC (bigint numbers, base64 accounts, airdrop, blockhash)", async () => {
    const rpc = createSolanaRpc(sim.rpcUrl);
    const wallet = Keypair.generate().publicKey.toBase58();
    const signature = await rpc.requestAirdrop(address(wallet), lamports(2_000_000_000n)).send();
    assert.equal(typeof signature, "string");
    const balance = await rpc.getBalance(address(wallet), { commitment: "confirmed" }).send();
    assert.equal(balance.value, 2_000_000_000n);
    assert.equal(typeof balance.context.slot, "bigint");
    const account = await rpc.getAccountInfo(address(wallet), { encoding: "base64" }).send();
    assert.equal(account.value?.lamports, 2_000_000_000n);
    assert.equal(account.value?.space, 0n);
    const { value } = await rpc.getLatestBlockhash().send();
    assert.equal(value.lastValidBlockHeight - (await rpc.getBlockHeight().send()), 150n);
    const statuses = await rpc.getSignatureStatuses([signature]).send();
    assert.equal(statuses.value[0]?.confirmationStatus, "finalized");
  });

  it("follows slots and accounts through @solana/kit's RPC subscriptions", async () => {
    const subscriptions = createSolanaRpcSubscriptions(sim.wsUrl);
    const abort = new AbortController();
    try {
      const slots = await subscriptions.slotNotifications().subscribe({ abortSignal: abort.signal });
      const seen: bigint[] = [];
      for await (const n of slots) {
        seen.push(n.slot);
        if (seen.length === 2) break;
      }
      assert.ok(seen[1] > seen[0]);

      const watched = Keypair.generate().publicKey;
      const changes = await subscriptions.accountNotifications(address(watched.toBase58()), { encoding: "base64", commitment: "confirmed" }).subscribe({ abortSignal: abort.signal });
      const lamportsSeen: bigint[] = [];
      const reading = (async () => {
        for await (const n of changes) {
          lamportsSeen.push(n.value.lamports);
          break;
        }
      })();
      await waitFor(() => sim.pubsubSubscriptions() >= 1, 3_000, "the account subscription");
      await connection.requestAirdrop(watched, LAMPORTS_PER_SOL);
      await reading;
      assert.deepEqual(lamportsSeen, [BigInt(LAMPORTS_PER_SOL)]);
    } finally {
      abort.abort();
    }
  });

  it("refuses a transaction whose fee payer does not exist or cannot pay", async () => {
    const ghost = Keypair.generate();
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = new Transaction({ feePayer: ghost.publicKey, recentBlockhash: blockhash }).add(SystemProgram.transfer({ fromPubkey: ghost.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }));
    tx.sign(ghost);
    const r = await call(sim.rpcUrl, "sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }]);
    assert.equal(r.error?.code, -32002);
    assert.equal((r.error?.data as { err: unknown }).err, "AccountNotFound");
    assert.equal(r.error?.message, "Transaction simulation failed: Attempt to debit an account but found no record of a prior credit.");

    const poor = Keypair.generate();
    await connection.requestAirdrop(poor.publicKey, 1_000);
    const poorTx = new Transaction({ feePayer: poor.publicKey, recentBlockhash: blockhash }).add(SystemProgram.transfer({ fromPubkey: poor.publicKey, toPubkey: ghost.publicKey, lamports: 1 }));
    poorTx.sign(poor);
    const skipped = await connection.sendRawTransaction(poorTx.serialize(), { skipPreflight: true });
    // It cannot pay its fee, so it never lands.
    assert.equal((await connection.getSignatureStatuses([skipped], { searchTransactionHistory: true })).value[0], null);
  });
});
