import assert from "node:assert/strict";
import { randomRequestId } from "./request-id";

describe("request ids", () => {
  it("are 32 lowercase hex characters (128 bits), distinct across several pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = randomRequestId();
      assert.match(id, /^[0-9a-f]{32}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 2_000);
  });

  it("use every bit: each hex digit position takes many values", () => {
    const ids = Array.from({ length: 512 }, () => randomRequestId());
    for (let p = 0; p < 32; p++) assert.ok(new Set(ids.map((id) => id[p])).size >= 12, `position ${p}`);
  });
});
