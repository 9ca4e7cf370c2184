// Calls and errors across a real MessageChannel (structured cloning as between the request thread and the
// I/O thread): values keep their types, and each error comes back as its readers (ledgerErrorOf,
// programErrorOf, the settler's conflict check) need it.
import assert from "node:assert/strict";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { SendTransactionError } from "@solana/web3.js";
import { ConvexError } from "convex/values";
import { ledgerErrorOf } from "../../../ledger/client";
import { ERROR_CODES } from "../../../sdk/src/constants";
import { programErrorOf } from "../../../sdk/src/errors";
import { BatchConflictError } from "../ledger/settlement-ledger";
import { RpcClient, serveRpc, type Handlers, type RpcPort } from "./rpc";

describe("io-thread rpc", () => {
  let ports: MessagePort[] = [];
  afterEach(() => {
    for (const p of ports) p.close();
    ports = [];
  });

  function connect(handlers: Handlers) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const events: [string, unknown][] = [];
    const client = new RpcClient(port1 as unknown as RpcPort, (event, data) => events.push([event, data]));
    const server = serveRpc(port2 as unknown as RpcPort, handlers);
    return { client, server, events };
  }

  /** The error a call rejects with. */
  async function refusal(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (err) {
      return err as Error;
    }
    throw new Error("the call did not fail");
  }

  it("carries bigints, Maps, byte arrays and null both ways, and events in order", async () => {
    const { client, server, events } = connect({
      echo: (v: unknown) => v,
      later: async (ms: number) => new Promise((r) => setTimeout(() => r(ms), ms)),
    });
    const value = { n: 2n ** 70n, m: new Map([["k", { allocation: null, used: 5n }]]), bytes: Uint8Array.of(1, 2, 3), none: null };
    assert.deepEqual(await client.call("echo", value), value);
    // Replies match their requests by id, whatever order they finish in.
    assert.deepEqual(await Promise.all([client.call("later", 30), client.call("later", 1)]), [30, 1]);
    server.emit("state", { team: "a", n: 1n });
    server.emit("state", { team: "a", n: 2n });
    await client.call("echo", 0); // after the events on the same port
    assert.deepEqual(events, [
      ["state", { team: "a", n: 1n }],
      ["state", { team: "a", n: 2n }],
    ]);
  });

  it("brings a ledger refusal back as a ConvexError with its code", async () => {
    const { client } = connect({ fail: () => Promise.reject(new ConvexError({ code: "not_found", message: "no such batch" })) });
    const err = await refusal(client.call("fail"));
    assert.ok(err instanceof ConvexError);
    assert.deepEqual(ledgerErrorOf(err), { code: "not_found", message: "no such batch" });
  });

  it("keeps an error's code (the settler's batch conflict) and message", async () => {
    const { client } = connect({ fail: () => Promise.reject(new BatchConflictError("held by another batch")) });
    const err = await refusal(client.call("fail"));
    assert.equal((err as Error & { code?: string }).code, "batch_conflict");
    assert.equal(err.message, "held by another batch");
  });

  it("keeps what programErrorOf reads: a failed send's logs, an AnchorError's number, a ProgramError's code", async () => {
    const code = ERROR_CODES.BatchAlreadySettled;
    const { client } = connect({
      logs: () =>
        Promise.reject(
          new SendTransactionError({
            action: "send",
            signature: "",
            transactionMessage: "Transaction simulation failed",
            logs: [`Program log: AnchorError occurred. Error Code: BatchAlreadySettled. Error Number: ${code}. Error Message: settled.`],
          }),
        ),
      anchor: () => Promise.reject(Object.assign(new Error("AnchorError"), { error: { errorCode: { number: code, code: "BatchAlreadySettled" } } })),
      program: () => Promise.reject(Object.assign(new Error("ProgramError"), { code, msg: "settled" })),
      plain: () => Promise.reject(new Error("fetch failed")),
    });
    for (const method of ["logs", "anchor", "program"]) {
      assert.deepEqual(programErrorOf(await refusal(client.call(method))), { code, name: "BatchAlreadySettled" }, method);
    }
    const plain = await refusal(client.call("plain"));
    assert.equal(programErrorOf(plain), null);
    assert.equal(plain.message, "fetch failed");
  });

  it("refuses an unknown method, and every call once the other side is lost", async () => {
    const { client } = connect({ hang: () => new Promise(() => undefined) });
    assert.match((await refusal(client.call("nope"))).message, /no method nope/);
    const waiting = client.call("hang");
    client.lost(new Error("the I/O thread exited"));
    assert.match((await refusal(waiting)).message, /exited/);
    assert.match((await refusal(client.call("hang"))).message, /exited/);
  });
});
