// The JSON-RPC endpoint itself: framing and error objects, node information, time (slots, clock, blockhashes)
// and rent, checked on the wire and through web3.js's Connection.
import assert from "node:assert/strict";
import { Connection, PublicKey, SYSVAR_CLOCK_PUBKEY } from "@solana/web3.js";
import type { Simnet } from "../server";
import { MAX_REQUEST_BYTES } from "../server";
import { call, connect, post, result, sleep, startTestSimnet, waitFor, type RpcResponse } from "./helpers";

describe("simnet JSON-RPC endpoint", () => {
  let sim: Simnet;
  let connection: Connection;

  before(async () => {
    sim = await startTestSimnet({ slotMs: 100 });
    connection = connect(sim);
  });
  after(async () => sim.close());

  describe("framing", () => {
    it("answers a request with jsonrpc 2.0, the same id and a result", async () => {
      const reply = await post(sim.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: "abc", method: "getHealth" }));
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, { jsonrpc: "2.0", result: "ok", id: "abc" });
    });

    it("answers an unknown method with -32601 Method not found", async () => {
      const r = await call(sim.rpcUrl, "getEverything", []);
      assert.deepEqual(r, { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: 1 });
    });

    it("answers text that is not JSON with -32700 Parse error and a null id", async () => {
      const reply = await post(sim.rpcUrl, "{not json");
      assert.deepEqual(reply.body, { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null });
    });

    it("answers a malformed request with -32600 Invalid request", async () => {
      for (const body of ['{"id":1,"method":"getSlot"}', '{"jsonrpc":"1.0","id":1,"method":"getSlot"}', '{"jsonrpc":"2.0","id":1}', "42", '"getSlot"', '{"jsonrpc":"2.0","id":{},"method":"getSlot"}']) {
        const reply = await post(sim.rpcUrl, body);
        const r = reply.body as RpcResponse;
        assert.equal(r.error?.code, -32600, body);
        assert.equal(r.error?.message, "Invalid request");
      }
    });

    it("answers bad params with -32602 and the validator's wording", async () => {
      const cases: [string, unknown[], RegExp][] = [
        ["getBalance", ["not-a-key"], /^Invalid param: Invalid$/],
        ["getBalance", ["3yZe7d"], /^Invalid param: WrongSize$/],
        ["getBalance", [], /missing address/],
        ["getBalance", [PublicKey.default.toBase58(), { commitment: "instant" }], /unknown variant `instant`/],
        ["getBalance", [PublicKey.default.toBase58(), "confirmed"], /config must be an object/],
        ["getMinimumBalanceForRentExemption", [-1], /non-negative integer/],
        ["getAccountInfo", [PublicKey.default.toBase58(), { encoding: "xml" }], /unknown variant `xml`/],
        ["getSignatureStatuses", ["sig"], /expected an array/],
        ["getTransaction", ["short"], /Invalid param/],
        ["getSlot", [{}, {}, {}], /expected at most/],
      ];
      for (const [method, params, pattern] of cases) {
        const r = await call(sim.rpcUrl, method, params);
        assert.equal(r.error?.code, -32602, `${method} ${JSON.stringify(params)}: ${JSON.stringify(r)}`);
        assert.match(r.error?.message ?? "", pattern, method);
      }
    });

    it("refuses params given by name (the validator only takes positional params)", async () => {
      const reply = await post(sim.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 7, method: "getBalance", params: { pubkey: PublicKey.default.toBase58() } }));
      assert.equal((reply.body as RpcResponse).error?.code, -32602);
    });

    it("answers a batch with one response per request, in order, errors included", async () => {
      const reply = await post(
        sim.rpcUrl,
        JSON.stringify([
          { jsonrpc: "2.0", id: 1, method: "getHealth" },
          { jsonrpc: "2.0", id: 2, method: "nope" },
          { jsonrpc: "2.0", id: 3, method: "getGenesisHash" },
          { jsonrpc: "2.0", method: "getHealth" },
          17,
        ]),
      );
      const responses = reply.body as RpcResponse[];
      assert.equal(responses.length, 4);
      assert.deepEqual(responses.map((r) => r.id), [1, 2, 3, null]);
      assert.equal(responses[0].result, "ok");
      assert.equal(responses[1].error?.code, -32601);
      assert.equal(responses[2].result, sim.chain.genesis.hash);
      assert.equal(responses[3].error?.code, -32600);
    });

    it("answers an empty batch with a single -32600 and sends nothing back for notifications", async () => {
      const empty = await post(sim.rpcUrl, "[]");
      assert.equal((empty.body as RpcResponse).error?.code, -32600);
      const notification = await post(sim.rpcUrl, JSON.stringify({ jsonrpc: "2.0", method: "getHealth" }));
      assert.equal(notification.status, 200);
      assert.equal(notification.text, "");
    });

    it("refuses a body over 50 KiB with 413 and keeps serving", async () => {
      const reply = await post(sim.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getHealth", params: ["x".repeat(MAX_REQUEST_BYTES)] })).catch(
        (e: unknown) => ({ status: 413, error: e }),
      );
      assert.equal(reply.status, 413);
      assert.equal(await result(sim.rpcUrl, "getHealth"), "ok");
    });

    it("serves GET /health, answers CORS preflight and refuses other verbs", async () => {
      const health = await fetch(`${sim.rpcUrl}/health`);
      assert.equal(health.status, 200);
      assert.equal(await health.text(), "ok");
      const preflight = await fetch(sim.rpcUrl, { method: "OPTIONS", headers: { origin: "http://127.0.0.1:3000", "access-control-request-method": "POST" } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
      const put = await fetch(sim.rpcUrl, { method: "PUT", body: "{}" });
      assert.equal(put.status, 405);
    });

    it("survives hostile input: every answer is a JSON-RPC object and the node still serves", async () => {
      const bodies = [
        "",
        "null",
        "[[]]",
        '{"jsonrpc":"2.0","id":1,"method":"getAccountInfo","params":[null,null]}',
        '{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":[123]}',
        '{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["AAAA",{"encoding":"base64"}]}',
        '{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["!!!",{"encoding":"base64"}]}',
        '{"jsonrpc":"2.0","id":1,"method":"simulateTransaction","params":["1111111111"]}',
        '{"jsonrpc":"2.0","id":1,"method":"getProgramAccounts","params":["11111111111111111111111111111111",{"filters":[{"memcmp":{"offset":-1,"bytes":"1"}}]}]}',
        '{"jsonrpc":"2.0","id":1,"method":"getProgramAccounts","params":["11111111111111111111111111111111",{"filters":[1,2,3,4,5]}]}',
        '{"jsonrpc":"2.0","id":1,"method":"getFeeForMessage","params":["%%%"]}',
        '{"jsonrpc":"2.0","id":1,"method":"requestAirdrop","params":["11111111111111111111111111111111",1e30]}',
        '{"jsonrpc":"2.0","id":1,"method":"getMultipleAccounts","params":[[1,2]]}',
        '{"jsonrpc":"2.0","id":1,"method":"__proto__","params":[]}',
        '{"jsonrpc":"2.0","id":1,"method":"constructor","params":[]}',
        '{"jsonrpc":"2.0","id":1,"method":"getTokenAccountsByOwner","params":["11111111111111111111111111111111",null]}',
        '{"jsonrpc":"2.0","id":1,"method":"getSignaturesForAddress","params":["11111111111111111111111111111111",{"limit":0}]}',
      ];
      for (const body of bodies) {
        const reply = await post(sim.rpcUrl, body);
        assert.equal(reply.status, 200, body);
        const responses = (Array.isArray(reply.body) ? reply.body : [reply.body]) as RpcResponse[];
        for (const r of responses) {
          assert.ok(r && r.jsonrpc === "2.0" && r.error && Number.isInteger(r.error.code), `${body} -> ${reply.text}`);
          assert.ok([-32700, -32600, -32601, -32602].includes(r.error.code), `${body} -> ${reply.text}`);
        }
      }
      assert.equal(await result(sim.rpcUrl, "getHealth"), "ok");
    });
  });

  describe("node information", () => {
    it("reports version, health, genesis hash and identity as web3.js reads them", async () => {
      const version = await connection.getVersion();
      assert.match(version["solana-core"], /^\d+\.\d+\.\d+$/);
      assert.equal(await result(sim.rpcUrl, "getHealth"), "ok");
      const genesis = await connection.getGenesisHash();
      assert.equal(genesis, sim.chain.genesis.hash);
      assert.equal(new PublicKey(genesis).toBytes().length, 32);
      const identity = await result<{ identity: string }>(sim.rpcUrl, "getIdentity");
      assert.ok(new PublicKey(identity.identity));
      assert.equal(await connection.getSlotLeader(), identity.identity);
    });

    it("reports slot, block height, epoch info and schedule consistently", async () => {
      const slot = await connection.getSlot();
      const height = await connection.getBlockHeight();
      const info = await connection.getEpochInfo();
      assert.ok(height >= slot && info.absoluteSlot >= height);
      assert.equal(info.epoch, Math.floor(info.absoluteSlot / 432_000));
      assert.equal(info.slotIndex, info.absoluteSlot % 432_000);
      assert.equal(info.slotsInEpoch, 432_000);
      assert.equal(typeof info.transactionCount, "number");
      const schedule = await connection.getEpochSchedule();
      assert.equal(schedule.slotsPerEpoch, 432_000);
      assert.equal(schedule.warmup, false);
    });

    it("accepts every commitment level and answers minContextSlot beyond the chain with -32016", async () => {
      for (const commitment of ["processed", "confirmed", "finalized"] as const) assert.equal(typeof (await connection.getSlot(commitment)), "number");
      const r = await call(sim.rpcUrl, "getSlot", [{ minContextSlot: 1_000_000_000 }]);
      assert.equal(r.error?.code, -32016);
      assert.equal(r.error?.message, "Minimum context slot has not been reached");
      assert.ok(typeof (r.error?.data as { contextSlot: number }).contextSlot === "number");
    });
  });

  describe("time", () => {
    it("advances slots with wall time", async () => {
      const first = await connection.getSlot();
      await sleep(450);
      const second = await connection.getSlot();
      // 100 ms slots: 4 or 5 slots in 450 ms (timer granularity allows one either way).
      assert.ok(second - first >= 3 && second - first <= 6, `${first} -> ${second}`);
    });

    it("keeps the Clock sysvar at wall time and at the current slot", async () => {
      const info = await connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY);
      assert.ok(info);
      const slot = info.data.readBigUInt64LE(0);
      const unixTimestamp = info.data.readBigInt64LE(32);
      const now = BigInt(Math.floor(Date.now() / 1000));
      assert.ok(now - unixTimestamp <= 1n && unixTimestamp <= now, `clock ${unixTimestamp}, wall ${now}`);
      const current = BigInt(await connection.getSlot());
      assert.ok(current - slot <= 1n);
    });

    it("issues a new blockhash each slot, valid for 150 slots, and knows old ones expire", async () => {
      const a = await connection.getLatestBlockhash();
      await waitFor(async () => (await connection.getLatestBlockhash()).blockhash !== a.blockhash, 2_000, "a new blockhash");
      const b = await connection.getLatestBlockhash();
      assert.ok(b.lastValidBlockHeight > a.lastValidBlockHeight);
      assert.equal(a.lastValidBlockHeight - (await connection.getBlockHeight()) <= 150, true);
      assert.equal((await connection.isBlockhashValid(a.blockhash)).value, true);
      assert.equal((await connection.isBlockhashValid(PublicKey.default.toBase58())).value, false);
      sim.chain.advanceTo(sim.chain.slot + 151n);
      assert.equal((await connection.isBlockhashValid(a.blockhash)).value, false);
      const r = await call(sim.rpcUrl, "isBlockhashValid", ["xyz"]);
      assert.equal(r.error?.code, -32602);
    });
  });

  describe("rent", () => {
    it("answers getMinimumBalanceForRentExemption with the runtime's rent", async () => {
      assert.equal(await connection.getMinimumBalanceForRentExemption(0), Number(sim.chain.minimumBalanceForRentExemption(0n)));
      assert.equal(await connection.getMinimumBalanceForRentExemption(165), Number(sim.chain.minimumBalanceForRentExemption(165n)));
      assert.ok((await connection.getMinimumBalanceForRentExemption(165)) > (await connection.getMinimumBalanceForRentExemption(0)));
    });
  });
});
