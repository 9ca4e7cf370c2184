// The PubSub WebSocket through web3.js's subscription API (onSignature, onAccountChange,
// onProgramAccountChange, onLogs, onSlotChange and their removals) and on the wire (ids, notification
// shapes, errors, the HTTP port's upgrade).
import assert from "node:assert/strict";
import { Keypair, LAMPORTS_PER_SOL, SystemProgram, Transaction, type AccountInfo, type Connection, type Context, type Logs, type SlotInfo } from "@solana/web3.js";
import WebSocket from "ws";
import { encodeBase58 } from "../base58";
import type { Simnet } from "../server";
import { connect, disconnect, fundedKeypair, startTestSimnet, waitFor } from "./helpers";

/** A raw WebSocket client: sends JSON-RPC, collects every message. */
class RawClient {
  readonly messages: Record<string, unknown>[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  }
  static open(url: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(new RawClient(ws)));
      ws.once("error", reject);
    });
  }
  send(body: unknown): void {
    this.ws.send(typeof body === "string" ? body : JSON.stringify(body));
  }
  async reply(id: number): Promise<Record<string, unknown>> {
    await waitFor(() => this.messages.some((m) => m.id === id), 3_000, `reply ${id}`);
    return this.messages.find((m) => m.id === id) as Record<string, unknown>;
  }
  notifications(method: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.method === method);
  }
  close(): void {
    this.ws.close();
  }
}

describe("simnet PubSub", () => {
  let sim: Simnet;
  let connection: Connection;
  let payer: Keypair;

  before(async () => {
    sim = await startTestSimnet({ slotMs: 100 });
    connection = connect(sim);
    payer = await fundedKeypair(connection, 50);
  });
  after(async () => {
    await disconnect(connection);
    await sim.close();
  });

  const sendTransfer = async (to: Keypair["publicKey"], lamports: number) => {
    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: (await connection.getLatestBlockhash()).blockhash }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports }),
    );
    tx.sign(payer);
    return connection.sendRawTransaction(tx.serialize());
  };

  it("notifies onSignature when the transaction lands, and when it had already landed", async () => {
    const to = Keypair.generate().publicKey;
    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: (await connection.getLatestBlockhash()).blockhash }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: LAMPORTS_PER_SOL }),
    );
    tx.sign(payer);
    const bs58sig = encodeBase58(tx.signature as Buffer);
    const seen: { err: unknown; slot: number }[] = [];
    connection.onSignature(bs58sig, (r, ctx) => seen.push({ err: r.err, slot: ctx.slot }), "confirmed");
    await waitFor(() => sim.pubsubSubscriptions() > 0, 3_000, "the subscription");
    await connection.sendRawTransaction(tx.serialize());
    await waitFor(() => seen.length === 1, 3_000, "signatureNotification");
    assert.equal(seen[0].err, null);
    const late: unknown[] = [];
    connection.onSignature(bs58sig, (r) => late.push(r.err));
    await waitFor(() => late.length === 1, 3_000, "notification of a landed signature");
    assert.equal(late[0], null);
  });

  it("notifies onAccountChange with the new account state, in base64, and stops after removal", async () => {
    const watched = Keypair.generate().publicKey;
    const seen: { info: AccountInfo<Buffer>; ctx: Context }[] = [];
    const id = connection.onAccountChange(watched, (info, ctx) => seen.push({ info, ctx }), { commitment: "confirmed" });
    await waitFor(() => sim.pubsubSubscriptions() > 0, 3_000, "the subscription");
    await sendTransfer(watched, LAMPORTS_PER_SOL);
    await waitFor(() => seen.length === 1, 3_000, "accountNotification");
    assert.equal(seen[0].info.lamports, LAMPORTS_PER_SOL);
    assert.ok(seen[0].info.owner.equals(SystemProgram.programId));
    assert.equal(typeof seen[0].ctx.slot, "number");
    await sendTransfer(watched, 2);
    await waitFor(() => seen.length === 2, 3_000, "second accountNotification");
    assert.equal(seen[1].info.lamports, LAMPORTS_PER_SOL + 2);
    const before = sim.pubsubSubscriptions();
    await connection.removeAccountChangeListener(id);
    await waitFor(() => sim.pubsubSubscriptions() < before, 3_000, "the unsubscription");
    await sendTransfer(watched, 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(seen.length, 2);
  });

  it("notifies onProgramAccountChange for accounts owned by the program that match the filters", async () => {
    const seen: string[] = [];
    const id = connection.onProgramAccountChange(SystemProgram.programId, (keyed) => seen.push(keyed.accountId.toBase58()), { commitment: "confirmed", filters: [{ dataSize: 0 }] });
    await waitFor(() => sim.pubsubSubscriptions() > 0, 3_000, "the subscription");
    const to = Keypair.generate().publicKey;
    await sendTransfer(to, LAMPORTS_PER_SOL);
    await waitFor(() => seen.includes(to.toBase58()), 3_000, "programNotification");
    assert.ok(seen.includes(payer.publicKey.toBase58()));
    await connection.removeProgramAccountChangeListener(id);
  });

  it("notifies onLogs for every transaction or only those mentioning an address", async () => {
    const mentioned = Keypair.generate().publicKey;
    const all: Logs[] = [];
    const onlyMentioned: Logs[] = [];
    const a = connection.onLogs("all", (logs) => all.push(logs));
    const b = connection.onLogs(mentioned, (logs) => onlyMentioned.push(logs));
    await waitFor(() => sim.pubsubSubscriptions() >= 2, 3_000, "the subscriptions");
    const other = await sendTransfer(Keypair.generate().publicKey, LAMPORTS_PER_SOL);
    const mine = await sendTransfer(mentioned, LAMPORTS_PER_SOL);
    await waitFor(() => all.length >= 2 && onlyMentioned.length >= 1, 3_000, "logsNotification");
    assert.deepEqual(all.map((l) => l.signature).slice(-2), [other, mine]);
    assert.deepEqual(onlyMentioned.map((l) => l.signature), [mine]);
    assert.equal(onlyMentioned[0].err, null);
    assert.deepEqual(onlyMentioned[0].logs, ["Program 11111111111111111111111111111111 invoke [1]", "Program 11111111111111111111111111111111 success"]);
    await connection.removeOnLogsListener(a);
    await connection.removeOnLogsListener(b);
  });

  it("notifies onSlotChange every slot with parent and root", async () => {
    const slots: SlotInfo[] = [];
    const id = connection.onSlotChange((info) => slots.push(info));
    await waitFor(() => slots.length >= 3, 3_000, "three slotNotifications");
    for (const s of slots) assert.ok(s.parent < s.slot && s.root === s.slot);
    for (let i = 1; i < slots.length; i++) assert.ok(slots[i].slot > slots[i - 1].slot);
    await connection.removeSlotChangeListener(id);
  });

  describe("on the wire", () => {
    let client: RawClient;
    beforeEach(async () => {
      client = await RawClient.open(sim.wsUrl);
    });
    afterEach(() => client.close());

    it("answers subscriptions with numeric ids and notifications in the validator's shape", async () => {
      const watched = Keypair.generate().publicKey;
      client.send({ jsonrpc: "2.0", id: 1, method: "accountSubscribe", params: [watched.toBase58(), { encoding: "jsonParsed", commitment: "confirmed" }] });
      const reply = await client.reply(1);
      assert.equal(typeof reply.result, "number");
      await sendTransfer(watched, LAMPORTS_PER_SOL);
      await waitFor(() => client.notifications("accountNotification").length === 1, 3_000, "accountNotification");
      const n = client.notifications("accountNotification")[0] as { jsonrpc: string; params: { subscription: number; result: { context: { slot: number }; value: Record<string, unknown> } } };
      assert.equal(n.jsonrpc, "2.0");
      assert.equal(n.params.subscription, reply.result);
      assert.equal(n.params.result.value.lamports, LAMPORTS_PER_SOL);
      assert.deepEqual(n.params.result.value.data, ["", "base64"]);
      client.send({ jsonrpc: "2.0", id: 2, method: "accountUnsubscribe", params: [reply.result] });
      assert.equal((await client.reply(2)).result, true);
    });

    it("answers unknown methods, bad params and unknown subscription ids with JSON-RPC errors", async () => {
      client.send({ jsonrpc: "2.0", id: 1, method: "blockSubscribe", params: [] });
      client.send({ jsonrpc: "2.0", id: 2, method: "accountSubscribe", params: ["nope"] });
      client.send({ jsonrpc: "2.0", id: 3, method: "logsSubscribe", params: [{ mentions: [payer.publicKey.toBase58(), payer.publicKey.toBase58()] }] });
      client.send({ jsonrpc: "2.0", id: 4, method: "slotUnsubscribe", params: [999_999] });
      client.send({ jsonrpc: "2.0", id: 5, method: "signatureSubscribe", params: ["1"] });
      client.send("{oops");
      assert.equal(((await client.reply(1)).error as { code: number }).code, -32601);
      assert.equal(((await client.reply(2)).error as { code: number }).code, -32602);
      assert.deepEqual((await client.reply(3)).error, { code: -32602, message: "Invalid Request: Only 1 address supported" });
      assert.deepEqual((await client.reply(4)).error, { code: -32602, message: "Invalid subscription id." });
      assert.equal(((await client.reply(5)).error as { code: number }).code, -32602);
      await waitFor(() => client.messages.some((m) => m.id === null), 3_000, "parse error");
      assert.equal((client.messages.find((m) => m.id === null)?.error as { code: number }).code, -32700);
    });

    it("ends a signature subscription with its notification and still accepts a late unsubscribe", async () => {
      const signature = await sendTransfer(Keypair.generate().publicKey, LAMPORTS_PER_SOL);
      client.send({ jsonrpc: "2.0", id: 1, method: "signatureSubscribe", params: [signature, { commitment: "confirmed" }] });
      const id = (await client.reply(1)).result as number;
      await waitFor(() => client.notifications("signatureNotification").length === 1, 3_000, "signatureNotification");
      const n = client.notifications("signatureNotification")[0] as { params: { subscription: number; result: { context: { slot: number }; value: { err: unknown } } } };
      assert.equal(n.params.subscription, id);
      assert.deepEqual(n.params.result.value, { err: null });
      client.send({ jsonrpc: "2.0", id: 2, method: "signatureUnsubscribe", params: [id] });
      assert.equal((await client.reply(2)).result, true);
      client.send({ jsonrpc: "2.0", id: 3, method: "signatureUnsubscribe", params: [id] });
      assert.equal(((await client.reply(3)).error as { code: number }).code, -32602);
    });

    it("ignores notifications such as web3.js's ping and keeps serving", async () => {
      client.send({ jsonrpc: "2.0", method: "ping" });
      client.send({ jsonrpc: "2.0", id: 9, method: "slotSubscribe" });
      assert.equal(typeof (await client.reply(9)).result, "number");
      assert.equal(client.messages.filter((m) => "error" in m).length, 0);
    });

    it("drops a socket's subscriptions when it closes", async () => {
      const before = sim.pubsubSubscriptions();
      client.send({ jsonrpc: "2.0", id: 1, method: "slotSubscribe" });
      client.send({ jsonrpc: "2.0", id: 2, method: "logsSubscribe", params: ["all"] });
      await client.reply(2);
      assert.equal(sim.pubsubSubscriptions(), before + 2);
      client.close();
      await waitFor(() => sim.pubsubSubscriptions() === before, 3_000, "subscriptions dropped");
    });

    it("also accepts WebSocket upgrades on the HTTP port", async () => {
      const onHttpPort = await RawClient.open(sim.rpcUrl.replace("http", "ws"));
      onHttpPort.send({ jsonrpc: "2.0", id: 1, method: "rootSubscribe" });
      assert.equal(typeof (await onHttpPort.reply(1)).result, "number");
      await waitFor(() => onHttpPort.notifications("rootNotification").length > 0, 3_000, "rootNotification");
      onHttpPort.close();
    });
  });
});
