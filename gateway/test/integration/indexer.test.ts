import assert from "node:assert/strict";
import { USDC } from "../../../sdk/src/constants";
import { eventsOfTransaction, toLedgerEvent } from "../../src/chain/indexer";
import { RecordingTransactionSource } from "../recording-source";
import { createStack, serve, type Stack } from "../stack";

describe("chain indexer: events from program transactions", function () {
  this.timeout(120_000);
  let s: Stack;
  afterEach(async () => {
    await s?.close();
  });

  it("attributes each event to its top-level instruction and numbers events within it", async () => {
    s = await createStack();
    const source = new RecordingTransactionSource(s.d.provider);
    const t = await s.team({ deposit: 60n * USDC });
    await serve(s.gate, t.key, 3);
    await s.settler.drain();
    const { transactions } = await source.poll();
    const settlement = transactions.find((tx) => eventsOfTransaction(tx, s.d.programId).some((e) => e.kind === "usage.deducted"))!;
    const events = eventsOfTransaction(settlement, s.d.programId);
    const roll = events.filter((e) => e.instructionIndex === 0);
    const deduct = events.filter((e) => e.instructionIndex === 1);
    assert.ok(roll.some((e) => e.kind === "period.rolled"), "roll_period is instruction 0");
    assert.ok(roll.some((e) => e.kind === "revenue.distributed"));
    assert.deepEqual(roll.map((e) => e.eventIndex), roll.map((_, i) => i));
    assert.equal(deduct[0]!.kind, "usage.deducted");
    assert.equal(deduct[0]!.eventIndex, 0);
    const usage = deduct[0]!;
    if (usage.kind !== "usage.deducted") throw new Error("unreachable");
    assert.equal(usage.requestCount, 3n);
    assert.equal(usage.team, t.address);
    assert.equal(usage.signature, settlement.signature);
    const created = transactions.flatMap((tx) => eventsOfTransaction(tx, s.d.programId)).find((e) => e.kind === "team.created");
    assert.equal(created?.team, t.address);
  });

  it("skips failed transactions, whose events were rolled back", async () => {
    s = await createStack();
    const source = new RecordingTransactionSource(s.d.provider);
    const t = await s.team({ deposit: 10n * USDC });
    await assert.rejects(s.d.client.withdrawUnused({ owner: t.owner, ownerToken: t.ownerToken }));
    const { transactions } = await source.poll();
    const failed = transactions.filter((tx) => tx.failed);
    assert.equal(failed.length, 1);
    assert.deepEqual(eventsOfTransaction(failed[0]!, s.d.programId), []);
  });

  it("leaves out events with no team", () => {
    const at = { signature: "sig", instructionIndex: 0, eventIndex: 0, slot: 1, blockTime: 2 };
    assert.equal(toLedgerEvent({ name: "ConfigUpdated", data: { admin: "x" } }, at), null);
  });

  it("leaves a team it only refreshed unfollowed, so the gate's first request follows it and the poll keeps it fresh", async () => {
    s = await createStack();
    const t = await s.team({ deposit: 60n * USDC });
    await s.balances.refresh([t.address]); // what the indexer does for every team it sees
    assert.ok(s.balances.latest(t.address), "the snapshot is there for the ledger");
    assert.equal(s.balances.peek(t.address), undefined, "but the gate does not take it as followed");
    assert.equal((await s.gate.admit({ key: t.key, endpoint: "/api/v1/verify" })).ok, true);
    assert.deepEqual(s.balances.teams(), [t.address], "the first request made the team followed: polled from now on");
  });
});
