import assert from "node:assert/strict";
import { DEFAULT_TIERS, USDC } from "../../../sdk/src/constants";
import { fromHex } from "../../../sdk/src/receipts";
import { encodeUsagePage } from "../../../convex/model/usagePage";
import { rollDue } from "../../src/chain/settlement-chain";
import { MemorySettlementLedger } from "../../src/ledger/settlement-ledger";
import { UNATTRIBUTED_USER_ID } from "../../src/settler";
import { createStack, serve, type Stack } from "../stack";
import { warpTo } from "../../../tests/support";

const PRICE = 10_000n;

describe("settlement against the program in litesvm", function () {
  this.timeout(120_000);
  let s: Stack;
  afterEach(async () => {
    await s?.close();
  });

  it("settles 10,050 served requests: the chain charges exactly their price and counts exactly them", async () => {
    s = await createStack();
    const t = await s.team({ deposit: 200n * USDC, members: { alice: { allocation: null, allocationUsed: 0n }, bob: { allocation: null, allocationUsed: 0n } } });
    const users = ["alice", "bob", null];
    const endpoints = ["/api/v1/verify", "/api/v1/batch/verify"];
    const served = await serve(s.gate, t.key, 10_050, (i) => ({ endpoint: endpoints[i % 2]!, userId: users[i % 3]! }));
    assert.ok(served.every((a) => a.ok));
    const priced = served.reduce((n, a) => n + a.cost, 0n);
    assert.equal(priced, 50n * PRICE, "10,000 within quota, 50 beyond at 0.01 USDC");

    const stakersBefore = await s.d.balance(s.d.stakerPool);
    assert.equal(await s.settler.drain(), 0);
    const team = await s.d.team(t.owner.publicKey);
    assert.equal(team.periodRequests, 10_050n);
    assert.equal(team.periodOverageSpend, priced);
    assert.equal(team.unpaidOverage, 0n);
    assert.equal(team.baseFeePaid, true, "the settler rolled the period's base fee in the same transaction");
    assert.equal(await s.d.balance(t.vault), 200n * USDC - 50n * USDC - priced);
    assert.equal((await s.d.balance(s.d.stakerPool)) - stakersBefore, 5n * USDC + priced);

    const ledger = s.ledger as MemorySettlementLedger;
    const batches = [...ledger.batches.values()];
    assert.equal(batches.length, 1);
    assert.equal(batches[0]!.status, "settled");
    assert.equal(batches[0]!.amount, priced);
    assert.equal(batches[0]!.requestCount, 10_050n);
    const byEndpoint = new Map<string, number>();
    const byUser = new Map<string, number>();
    for (const r of batches[0]!.records) {
      byEndpoint.set(r.endpoint, (byEndpoint.get(r.endpoint) ?? 0) + r.units);
      byUser.set(r.userId, (byUser.get(r.userId) ?? 0) + r.units);
    }
    assert.deepEqual(Object.fromEntries(byEndpoint), { "/api/v1/verify": 5_025, "/api/v1/batch/verify": 5_025 });
    assert.deepEqual(Object.fromEntries(byUser), { alice: 3_350, bob: 3_350, [UNATTRIBUTED_USER_ID]: 3_350 });

    // The reservation ended with the settlement: the gate sees the charged vault and nothing reserved.
    const after = await s.gate.admit({ key: t.key, endpoint: "/api/v1/verify" });
    assert.equal(s.gate.book(t.address)!.batchesInFlight, 0);
    assert.equal(after.available, 200n * USDC - 50n * USDC - priced - PRICE);
  });

  it("splits a backlog into consecutive batches, one in flight at a time, each charged once", async () => {
    s = await createStack({ settler: { maxRecordsPerBatch: 40 } });
    const t = await s.team({ deposit: 100n * USDC });
    await serve(s.gate, t.key, 100);
    assert.equal(await s.settler.drain(), 0);
    const team = await s.d.team(t.owner.publicKey);
    assert.equal(team.lastBatchSeq, 3n);
    assert.equal(team.periodRequests, 100n);
    const seqs = [...(s.ledger as MemorySettlementLedger).batches.values()].map((b) => [b.batchSeq, b.requestCount]);
    assert.deepEqual(seqs, [[1n, 40n], [2n, 40n], [3n, 20n]]);
  });

  it("waits minBatchIntervalMs between two batches of a team unless forced", async () => {
    let now = Date.now();
    s = await createStack({ settler: { maxRecordsPerBatch: 40, minBatchIntervalMs: 1_000, now: () => now } });
    const t = await s.team({ deposit: 100n * USDC });
    await serve(s.gate, t.key, 100);
    assert.equal((await s.settler.settleOnce()).settled, 1, "due by count: the first batch goes at once");
    assert.equal((await s.settler.settleOnce()).sealed, 0, "the next batch waits for the interval");
    now += 999;
    assert.equal((await s.settler.settleOnce()).sealed, 0);
    now += 1;
    assert.equal((await s.settler.settleOnce()).settled, 1, "one second after the previous batch");
    assert.equal((await s.settler.settleOnce(true)).settled, 1, "a forced round (drain, close) does not wait");
    assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, 100n);
  });

  it("settles a team once its pending cost reaches flushCost, each request's cost summed once", async () => {
    s = await createStack({ settler: { flushIntervalMs: 60_000, flushCost: 3n * PRICE, minBatchIntervalMs: 0 } });
    const t = await s.team({ deposit: 100n * USDC });
    const quota = await serve(s.gate, t.key, 1, () => ({ endpoint: "/api/v1/batch/verify", units: 10_000 }));
    assert.equal(quota[0]!.cost, 0n, "the period's quota costs nothing");
    await serve(s.gate, t.key, 2);
    assert.equal((await s.settler.settleOnce()).sealed, 0, "2 × PRICE pending: below flushCost");
    await serve(s.gate, t.key, 1);
    assert.equal((await s.settler.settleOnce()).settled, 1, "3 × PRICE pending: due");
    assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, 10_003n);
    // The next pending list is summed from nothing.
    await serve(s.gate, t.key, 2);
    assert.equal((await s.settler.settleOnce()).sealed, 0);
    await serve(s.gate, t.key, 1);
    assert.equal((await s.settler.settleOnce()).settled, 1);
    assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, 10_006n);
  });

  it("settles several teams in one transaction", async () => {
    s = await createStack();
    const teams = [];
    for (let i = 0; i < 4; i++) teams.push(await s.team({ deposit: 60n * USDC }));
    for (const t of teams) await serve(s.gate, t.key, 3);
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 4);
    assert.equal(r.transactions, 1, `one transaction for 4 teams (roll + deduct each)`);
    for (const t of teams) assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, 3n);
  });

  it("packs teams into transactions by size: as many as fit in 1,232 bytes, the rest in the next", async () => {
    s = await createStack({ settler: { maxTeamsPerTx: 50 } });
    const teams = [];
    for (let i = 0; i < 10; i++) teams.push(await s.team({ deposit: 60n * USDC }));
    for (const t of teams) await serve(s.gate, t.key, 2);
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 10);
    // roll_period + deduct_usage per team: a few teams' accounts fill a legacy transaction.
    assert.ok(r.transactions >= 2 && r.transactions < 10, `${r.transactions} transactions for 10 teams`);
    for (const t of teams) assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, 2n);
  });

  it("admits exactly the requests the balance pays for among 200 concurrent ones, and leaves no debt", async () => {
    // Every request is overage (no included requests) so the balance is the only limit.
    const tiers = [{ ...DEFAULT_TIERS[0], includedRequests: 0n }, DEFAULT_TIERS[1], DEFAULT_TIERS[2]];
    s = await createStack({ deployment: { config: { tiers } } });
    const N = 137n;
    const t = await s.team({ deposit: 50n * USDC + N * PRICE });
    await s.d.client.rollPeriod({ teamOwner: t.owner.publicKey }); // the base fee is paid up front
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const a = await s.gate.admit({ key: t.key, endpoint: "/api/v1/verify" });
        if (a.ok) await a.ticket!.commit();
        return a;
      }),
    );
    const ok = results.filter((a) => a.ok).length;
    const refused = results.filter((a) => a.status === 402 && a.error === "insufficient_balance").length;
    assert.equal(ok, Number(N));
    assert.equal(refused, 200 - Number(N));
    assert.equal(await s.settler.drain(), 0);
    const team = await s.d.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 0n, "no debt on chain");
    assert.equal(team.status, 0);
    assert.equal(team.periodRequests, N);
    assert.equal(await s.d.balance(t.vault), 0n);
  });

  it("prices by the chain's clock at a period's end, whatever this machine's says, and leaves no debt", async () => {
    // One-hour periods of 100 included requests; this machine's clock (the gate's and the chain view's) is set
    // `skewMs` apart from the chain's.
    const tiers = [{ ...DEFAULT_TIERS[0], includedRequests: 100n }, DEFAULT_TIERS[1], DEFAULT_TIERS[2]];
    let skewMs = 0;
    s = await createStack({ deployment: { config: { tiers, periodSecs: 3_600n } }, now: () => Date.now() + skewMs });
    const N = 20n;
    const fee = tiers[0].monthlyFee;
    const t = await s.team({ deposit: 2n * fee + N * PRICE }); // this period's fee, the next one's, and N requests
    await s.d.client.rollPeriod({ teamOwner: t.owner.publicKey });
    assert.ok((await serve(s.gate, t.key, 100)).every((a) => a.ok && a.cost === 0n), "the period's included requests");
    assert.equal(await s.settler.drain(), 0);

    // 30 s before the period's end by the chain's clock; this machine's is 10 minutes ahead, past the end and
    // beyond periodEdgeMs: the chain view's reading of the Clock sysvar puts the gate back in the old period.
    const periodEnd = (await s.d.team(t.owner.publicKey)).periodEnd;
    warpTo(s.d.svm, periodEnd - 30n);
    skewMs = Number(periodEnd - 30n + 600n) * 1000 - Date.now();
    await s.balances.refresh([t.address]);
    assert.ok(Math.abs(s.balances.chainClockOffsetMs + 600_000) < 2_000, `chain clock offset ${s.balances.chainClockOffsetMs} ms`);
    const served = await serve(s.gate, t.key, 100);
    const ok = served.filter((a) => a.ok);
    assert.ok(ok.every((a) => a.cost === PRICE), "reserved at the old period's overage price, not the new period's quota");
    assert.equal(ok.length, Number(N), "what the balance pays for beyond the next base fee");
    assert.equal(await s.settler.drain(), 0);
    const charged = await s.d.team(t.owner.publicKey);
    assert.deepEqual([charged.periodEnd, charged.periodRequests], [periodEnd, 100n + N], "the chain charged them in the old period");

    warpTo(s.d.svm, periodEnd + 30n);
    await s.d.client.rollPeriod({ teamOwner: t.owner.publicKey });
    const rolled = await s.d.team(t.owner.publicKey);
    assert.deepEqual([rolled.unpaidBaseFee, rolled.unpaidOverage, rolled.status], [0n, 0n, 0], "the next base fee paid in full: no debt");
  });

  it("records the batch in the ledger before sending it, and retries the same batch_seq after a ledger outage", async () => {
    const ledger = new MemorySettlementLedger();
    s = await createStack({ ledger });
    const t = await s.team({ deposit: 60n * USDC });
    await serve(s.gate, t.key, 5);
    ledger.failWith = new Error("ledger unreachable");
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 0);
    assert.match(r.deferred[0]!.reason, /ledger unreachable/);
    assert.equal(s.chain.sends, 0, "nothing sent before the ledger holds the batch");
    assert.equal(s.log.openBatch(t.address)?.seq, 1n);
    assert.match(String(s.settler.lastError), /ledger unreachable/);
    await s.settler.settleOnce(true);
    assert.match(String(s.settler.lastError), /ledger unreachable/, "still failing: still reported");
    ledger.failWith = null;
    assert.equal(await s.settler.drain(), 0);
    assert.equal((await s.d.team(t.owner.publicKey)).lastBatchSeq, 1n);
    assert.equal([...ledger.batches.values()][0]!.status, "settled");
    assert.equal(s.settler.lastError, null, "a clean round clears the report");
  });

  it("calls beforeSend once the ledger holds the batch and before sending it; when it fails the batch waits, same batch_seq", async () => {
    const ledger = new MemorySettlementLedger();
    const calls: { teams: string[]; recorded: number; sends: number }[] = [];
    let failNext = true;
    s = await createStack({
      ledger,
      settler: {
        beforeSend: async (teams) => {
          calls.push({ teams, recorded: ledger.batches.size, sends: s!.chain.sends });
          if (failNext) {
            failNext = false;
            throw new Error("lease renewal failed");
          }
        },
      },
    });
    const t = await s.team({ deposit: 60n * USDC });
    await serve(s.gate, t.key, 5);
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 0);
    assert.match(r.deferred[0]!.reason, /before send: lease renewal failed/);
    assert.equal(s.chain.sends, 0, "not sent");
    assert.equal(s.log.openBatch(t.address)?.seq, 1n, "kept for the next round");
    assert.match(String(s.settler.lastError), /lease renewal failed/);
    assert.equal(await s.settler.drain(), 0);
    assert.deepEqual(calls, [
      { teams: [t.address], recorded: 1, sends: 0 },
      { teams: [t.address], recorded: 1, sends: 0 },
    ]);
    const team = await s.d.team(t.owner.publicKey);
    assert.deepEqual([team.lastBatchSeq, team.periodRequests], [1n, 5n], "then sent once, as batch 1");
  });

  it("keeps reporting a settled batch's ledger mark as owed until the ledger takes it", async () => {
    const ledger = new MemorySettlementLedger();
    s = await createStack({ ledger });
    const t = await s.team({ deposit: 60n * USDC });
    await serve(s.gate, t.key, 3);
    const mark = ledger.markSettled.bind(ledger);
    ledger.markSettled = () => Promise.reject(new Error("ledger down for the mark"));
    assert.equal((await s.settler.settleOnce(true)).settled, 1, "settled on chain");
    assert.equal(s.settler.marksOwed, 1);
    await s.settler.settleOnce(true); // nothing due, the mark still fails
    assert.match(String(s.settler.lastError), /down for the mark/);
    ledger.markSettled = mark;
    await s.settler.settleOnce(true);
    assert.equal(s.settler.marksOwed, 0);
    assert.equal([...ledger.batches.values()][0]!.status, "settled");
    await s.settler.settleOnce(true);
    assert.equal(s.settler.lastError, null);
  });

  it("isolates a team the program refuses in a shared transaction: BatchAlreadySettled counts as settled", async () => {
    s = await createStack();
    const a = await s.team({ deposit: 60n * USDC });
    const b = await s.team({ deposit: 60n * USDC });
    await serve(s.gate, a.key, 4);
    // Team A's batch lands but its confirmation is lost.
    const send = s.chain.inner.send.bind(s.chain.inner);
    s.chain.inner.send = async (ixs) => {
      await send(ixs);
      throw new Error("timeout while confirming");
    };
    await s.settler.settleOnce(true);
    s.chain.inner.send = send;
    await serve(s.gate, b.key, 6);
    // A lagging RPC node still shows A's last_batch_seq as 0: A's deduct_usage goes out again with B's.
    const read = s.chain.inner.readTeams.bind(s.chain.inner);
    s.chain.inner.readTeams = async (teams) => {
      const r = await read(teams);
      const acct = r.teams.get(a.address);
      if (acct) r.teams.set(a.address, { ...acct, lastBatchSeq: 0n });
      return r;
    };
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 2);
    assert.equal(r.transactions, 1, "only B's own transaction succeeded");
    assert.equal((await s.d.team(a.owner.publicKey)).periodRequests, 4n, "A charged once");
    assert.equal((await s.d.team(b.owner.publicKey)).periodRequests, 6n);
    assert.equal(s.log.unsettled, 0);
  });

  it("reports a batch ahead of the chain's sequence as failed in the ledger and leaves it unsettled", async () => {
    const ledger = new MemorySettlementLedger();
    s = await createStack({ ledger });
    const t = await s.team({ deposit: 60n * USDC });
    await serve(s.gate, t.key, 2);
    await s.log.seal(t.address, 5n); // a sequence only a second settler could have produced
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 0);
    assert.match(r.deferred[0]!.reason, /ahead of the chain/);
    assert.equal(ledger.batches.get(`${t.address}:5`)?.status, "failed");
    assert.equal((await s.d.team(t.owner.publicKey)).lastBatchSeq, 0n);
  });

  it("refuses to price a batch whose charge would not fit a u64: deferred with why, it reaches neither the ledger nor the chain", async () => {
    const ledger = new MemorySettlementLedger();
    s = await createStack({ ledger });
    const t = await s.team({ deposit: 60n * USDC });
    // Past the quota at 0.01 USDC a unit, 2^53 - 1 units cost ~9e19 base units: more than a u64 holds. The
    // gate never admits such a request (no vault pays for it); written into the usage log, it is what a
    // restarted gateway finds there and reserves again. The restarted gate has no chain state for the team,
    // so the settler reads it before sealing (without it the batch kept the gate's price, 0, and the ledger
    // recorded it before the program refused it with MathOverflow). Priced as the program prices, the SDK's
    // checked arithmetic refuses the product before the settler's own u64 check could.
    const units = BigInt(Number.MAX_SAFE_INTEGER);
    await s.log.append({ requestId: "r-huge", teamId: t.teamId, team: t.address, userId: null, endpoint: "/api/v1/verify", units, cost: 0n, timestampMs: Date.now() });
    await s.restart();
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 0);
    assert.equal(r.deferred.length, 1);
    assert.match(r.deferred[0]!.reason, /MathOverflow/);
    assert.match(String(s.settler.lastError), /MathOverflow/);
    assert.equal(ledger.batches.size, 0, "nothing recorded");
    assert.equal((await s.d.team(t.owner.publicKey)).lastBatchSeq, 0n, "nothing sent");
    assert.equal(s.log.unsettled, 1, "kept, for an operator to see");
  });

  describe("several gateway instances serving one team", () => {
    /** Every record the ledger holds for the team, by request id. */
    const ledgerRecords = (team: string) =>
      [...(s.ledger as MemorySettlementLedger).batches.values()].filter((b) => b.batchId.startsWith(`${team}:`)).flatMap((b) => b.records);

    it("gives a batch back unsent when another settler recorded its batch_seq first, and seals it again after that one", async () => {
      s = await createStack();
      const t = await s.team({ deposit: 100n * USDC });
      const served = await serve(s.gate, t.key, 30);
      // Another instance sealed seq 1 (5 requests) and recorded it in the ledger; it has not sent it yet.
      const elsewhere = {
        batchId: `${t.address}:1`,
        teamId: t.teamId,
        batchSeq: 1n,
        requestCount: 5n,
        amount: 0n,
        usageRoot: "cd".repeat(32),
        records: { pages: [encodeUsagePage(Array.from({ length: 5 }, (_, i) => ({ requestId: `elsewhere-${i}`, timestampMs: Date.now(), endpoint: "/api/v1/verify", userId: UNATTRIBUTED_USER_ID, units: 1, cost: 0n })))] },
      };
      await s.ledger.recordBatch(elsewhere);
      const book = s.gate.book(t.address)!;
      const reserved = [book.reservedUnits, book.reservedCharged];

      const r = await s.settler.settleOnce(true);
      assert.equal(r.settled, 0);
      assert.match(r.deferred[0]!.reason, /batch_seq 1 belongs to another settler's batch/);
      assert.equal(s.settler.givenBack, 1);
      assert.match(String(s.settler.lastError), /another gateway's settler serves team .* give every instance an instanceShareBps/);
      assert.equal(s.log.openBatch(t.address), null, "given back to the log");
      assert.deepEqual(s.log.pending(t.address).toArray().map((e) => e.requestId), served.map((a) => a.requestId), "pending again, in order");
      assert.equal(book.batchesInFlight, 0);
      assert.deepEqual([book.reservedUnits, book.reservedCharged], reserved, "still reserved, as unbatched");
      assert.equal((await s.d.team(t.owner.publicKey)).lastBatchSeq, 0n, "nothing sent");

      // The other instance sends its seq 1; the requests given back go out as seq 2.
      const { nowSec, teams } = await s.chain.readTeams([t.address]);
      const account = teams.get(t.address)!;
      await s.chain.send(await s.chain.instructions({ teamOwner: account.owner, seq: 1n, requestCount: 5n, usageRoot: fromHex(elsewhere.usageRoot), roll: rollDue(account, nowSec) }));
      assert.equal(await s.settler.drain(), 0);
      const team = await s.d.team(t.owner.publicKey);
      assert.equal(team.lastBatchSeq, 2n);
      assert.equal(team.periodRequests, 35n, "both batches, each once");
      const mine = (s.ledger as MemorySettlementLedger).batches.get(`${t.address}:2`)!;
      assert.deepEqual([mine.status, mine.records.length], ["settled", 30]);
      assert.equal(s.settler.lastError, null, "cleared by the clean rounds after");
    });

    it("does not take another settler's batch on chain for its own (a seq sealed by both, recorded first by the other)", async () => {
      s = await createStack();
      const t = await s.team({ deposit: 100n * USDC });
      const other = await s.instance();
      await serve(s.gate, t.key, 30);
      await serve(other.gate, t.key, 20);
      // The other instance seals seq 1 and stalls before recording it; this one settles its own seq 1.
      const stalled = await other.log.seal(t.address, 1n);
      other.gate.sealReservation(t.address, 1n, 20n, stalled.entries.toArray().reduce((n, e) => n + e.cost, 0n));
      assert.equal((await s.settler.settleOnce(true)).settled, 1);
      // Resumed, it finds seq 1 on chain: the ledger holds the first instance's records under it, so its
      // own batch was never charged — given back, and settled as seq 2.
      const r = await other.settler.settleOnce(true);
      assert.equal(r.settled, 0);
      assert.equal(other.settler.givenBack, 1);
      assert.equal(await other.settler.drain(), 0);
      const team = await s.d.team(t.owner.publicKey);
      assert.equal(team.periodRequests, 50n, "every request of both instances, once");
      assert.equal(team.lastBatchSeq, 2n);
      const ids = ledgerRecords(t.address).map((rec) => rec.requestId);
      assert.equal(new Set(ids).size, 50);
      assert.equal(ids.length, 50);
    });

    it("records each request at its share of its batch's on-chain charge, priced from the chain state at sealing", async () => {
      // 100 included requests; each instance sees only its own 80 and prices them all as included.
      const tiers = [{ ...DEFAULT_TIERS[0], includedRequests: 100n }, DEFAULT_TIERS[1], DEFAULT_TIERS[2]];
      s = await createStack({ deployment: { config: { tiers } } });
      const other = await s.instance();
      const t = await s.team({ deposit: 100n * USDC });
      const mine = await serve(s.gate, t.key, 80);
      const theirs = await serve(other.gate, t.key, 80);
      assert.equal([...mine, ...theirs].reduce((n, a) => n + a.cost, 0n), 0n, "the gates' own prices");
      assert.equal(await s.settler.drain(), 0);
      assert.equal(await other.settler.drain(), 0);
      const team = await s.d.team(t.owner.publicKey);
      assert.equal(team.periodRequests, 160n);
      assert.equal(team.periodOverageSpend, 60n * PRICE, "the chain charged the second batch for 60 requests beyond the 100");
      const batches = [...(s.ledger as MemorySettlementLedger).batches.values()];
      assert.deepEqual(batches.map((b) => [b.batchSeq, b.amount]), [[1n, 0n], [2n, 60n * PRICE]], "each batch's amount is its charge");
      assert.deepEqual(batches[1]!.records.map((r) => r.cost), [...Array<bigint>(20).fill(0n), ...Array<bigint>(60).fill(PRICE)], "in order: 20 still included, then 60 at the overage price");
    });

    it("with shares summing to the whole, two instances admit no more than the balance pays for, and leave no debt", async () => {
      const tiers = [{ ...DEFAULT_TIERS[0], includedRequests: 0n }, DEFAULT_TIERS[1], DEFAULT_TIERS[2]];
      s = await createStack({ deployment: { config: { tiers } }, gate: { instanceShareBps: 5_000 } });
      const other = await s.instance();
      const N = 137n;
      const t = await s.team({ deposit: 50n * USDC + N * PRICE });
      await s.d.client.rollPeriod({ teamOwner: t.owner.publicKey }); // the base fee is paid up front
      const burst = (gate: typeof s.gate) =>
        Promise.all(
          Array.from({ length: 100 }, async () => {
            const a = await gate.admit({ key: t.key, endpoint: "/api/v1/verify" });
            if (a.ok) await a.ticket!.commit();
            return a.ok;
          }),
        );
      const [mine, theirs] = await Promise.all([burst(s.gate), burst(other.gate)]);
      const served = [mine, theirs].map((r) => r.filter(Boolean).length);
      assert.deepEqual(served, [68, 68], "each half of 137 × PRICE pays 68 requests");
      assert.deepEqual(await Promise.all([s.settler.drain(), other.settler.drain({ maxIdleRounds: 10 })]), [0, 0]);
      const team = await s.d.team(t.owner.publicKey);
      assert.equal(team.unpaidOverage, 0n, "no debt on chain");
      assert.equal(team.periodRequests, 136n);
      assert.equal(await s.d.balance(t.vault), PRICE);
    });

    it("with shares, one instance's settlement gives it no budget of the other's, also across its restart (no debt)", async () => {
      const tiers = [{ ...DEFAULT_TIERS[0], includedRequests: 0n }, DEFAULT_TIERS[1], DEFAULT_TIERS[2]];
      s = await createStack({ deployment: { config: { tiers } }, gate: { instanceShareBps: 5_000 } });
      const other = await s.instance();
      const t = await s.team({ deposit: 50n * USDC + 100n * PRICE });
      await s.d.client.rollPeriod({ teamOwner: t.owner.publicKey }); // the base fee is paid up front: 100 requests' worth left
      const ok = async (gate: typeof s.gate, n: number) => (await serve(gate, t.key, n)).filter((a) => a.ok).length;
      const first = [await ok(s.gate, 60), await ok(other.gate, 60)];
      assert.deepEqual(first, [50, 50]);
      // This instance settles its 50: the vault drops by 50 requests' worth, and so do its reservations.
      assert.equal(await s.settler.drain(), 0);
      await s.balances.refresh([t.address]);
      assert.equal(await ok(s.gate, 60), 0, "what it settled was its own half: nothing of the other's");
      // Restarted over the same log, it takes back what it spent this period.
      await s.restart();
      assert.deepEqual(s.log.spendOf(t.address).spent?.charged, 50n * PRICE);
      assert.equal(await ok(s.gate, 60), 0, "still nothing after a restart");
      assert.equal(await ok(other.gate, 60), 0);
      assert.deepEqual(await Promise.all([s.settler.drain(), other.settler.drain({ maxIdleRounds: 10 })]), [0, 0]);
      const team = await s.d.team(t.owner.publicKey);
      assert.equal(team.unpaidOverage, 0n, "no debt on chain");
      assert.equal(team.periodRequests, 100n);
    });

    it("charges every request of two instances once when both settle the team at the same time", async () => {
      s = await createStack();
      const t = await s.team({ deposit: 100n * USDC });
      const other = await s.instance();
      for (let wave = 0; wave < 3; wave++) {
        await Promise.all([serve(s.gate, t.key, 40), serve(other.gate, t.key, 25)]);
        // Both read the same last_batch_seq and seal the same next seq: the ledger gives it to one.
        await Promise.all([s.settler.settleOnce(true), other.settler.settleOnce(true)]);
      }
      const left = await Promise.all([s.settler.drain({ maxIdleRounds: 10 }), other.settler.drain({ maxIdleRounds: 10 })]);
      assert.deepEqual(left, [0, 0]);
      assert.ok(s.settler.givenBack + other.settler.givenBack >= 1, "the two met on a seq at least once");
      const team = await s.d.team(t.owner.publicKey);
      assert.equal(team.periodRequests, 195n);
      const ids = ledgerRecords(t.address).map((rec) => rec.requestId);
      assert.equal(new Set(ids).size, 195);
      assert.equal(ids.length, 195);
      assert.ok([...(s.ledger as MemorySettlementLedger).batches.values()].every((b) => b.status === "settled"));
    });
  });
});
