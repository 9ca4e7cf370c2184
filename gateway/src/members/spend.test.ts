import assert from "node:assert/strict";
import { MemberSpend } from "./spend";

const grant = { allocation: 100n, allocationUsed: 40n };

describe("member spending not yet in the ledger", () => {
  it("adds admitted costs to the ledger's figure", () => {
    const m = new MemberSpend();
    assert.equal(m.spent("t", "alice", grant, 0), 40n);
    m.add("t", "alice", 10n);
    m.add("t", "alice", 5n);
    assert.equal(m.spent("t", "alice", grant, 0), 55n);
    assert.equal(m.spent("t", "bob", grant, 0), 40n, "per member");
    assert.equal(m.spent("u", "alice", grant, 0), 40n, "per team");
  });

  it("gives back the cost of a request that was not served", () => {
    const m = new MemberSpend();
    m.add("t", "alice", 10n);
    m.release("t", "alice", 10n);
    assert.equal(m.spent("t", "alice", grant, 0), 40n);
    assert.throws(() => m.release("t", "alice", 1n), RangeError);
  });

  it("keeps counting a recorded cost until a ledger figure fetched after the recording arrives", () => {
    const m = new MemberSpend();
    m.add("t", "alice", 10n);
    m.recorded("t", "alice", 10n, 1_000);
    assert.equal(m.spent("t", "alice", grant, 999), 50n, "figure fetched before the recording");
    assert.equal(m.spent("t", "alice", { ...grant, allocationUsed: 50n }, 1_001), 50n, "figure that includes it");
    m.recorded("t", "alice", 1n, 2_000);
    m.recorded("t", "nobody", 1n, 2_000);
    assert.equal(m.spent("t", "alice", grant, 0), 40n, "never moves more than it holds");
  });
});
