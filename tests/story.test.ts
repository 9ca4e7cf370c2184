import assert from "node:assert/strict";
import { USDC } from "../sdk/src";
import { formatStoryTable, runTeamStory } from "../scripts/story/team-story";

describe("npm start story", () => {
  it("plays a Startup team's billing in the SVM with every balance as the billing rules say", async () => {
    const { rows, mismatches, events } = await runTeamStory();
    assert.deepEqual(mismatches, [], formatStoryTable(rows));
    const last = rows[rows.length - 1];
    assert.deepEqual({ vault: last.vault, treasury: last.treasury, stakers: last.stakers, owner: last.owner }, { vault: 0n, treasury: 45n * USDC, stakers: 45_010_000n, owner: 9_990_000n });
    assert.equal(events.filter((e) => e.name === "LowBalanceAlert").length, 1);
    assert.equal(events.filter((e) => e.name === "UsageDeducted").length, 4);
  });
});
