import assert from "node:assert/strict";
import { newLedger } from "./test.setup";

describe("ledger HTTP routes", () => {
  it("answers the health probe", async () => {
    const t = newLedger();
    const response = await t.fetch("/health", { method: "GET" });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  it("answers 404 for routes it does not serve", async () => {
    const t = newLedger();
    const response = await t.fetch("/api/anything", { method: "GET" });
    assert.equal(response.status, 404);
  });
});
