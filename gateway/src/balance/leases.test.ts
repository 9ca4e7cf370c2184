import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BalanceLeases, type LeaseSource } from "./leases";
import { instanceIdOf } from "./instance-id";

/** Never reached: these tests stop at the options. */
const unreachable: LeaseSource = {
  renew: () => Promise.reject(new Error("not called")),
  release: () => Promise.reject(new Error("not called")),
};

describe("balance leases (options and instance id)", () => {
  it("refuses a malformed instance id, renewal interval or time to live", () => {
    const make = (o: Partial<ConstructorParameters<typeof BalanceLeases>[0]>) => new BalanceLeases({ source: unreachable, instance: "gw-1", floorOf: () => 0, ...o });
    assert.equal(make({}).instance, "gw-1");
    for (const instance of ["", "has space", "x".repeat(65), "é"]) assert.throws(() => make({ instance }), /instance must be 1 to 64/);
    for (const renewMs of [0, -1, 1.5]) assert.throws(() => make({ renewMs }), /renewMs must be a positive integer/);
    for (const ttlMs of [999, 600_001, 2.5]) assert.throws(() => make({ ttlMs }), /ttlMs must be an integer from 1000 to 600000/);
    assert.throws(() => make({ renewMs: 5_000, ttlMs: 5_000 }), /ttlMs \(5000\) must exceed renewMs \(5000\)/);
  });

  it("has no share of a team before a grant", () => {
    const l = new BalanceLeases({ source: unreachable, instance: "gw-1", floorOf: () => 0 });
    assert.equal(l.share("Team111"), undefined);
    l.noteDemand("Team111", 5); // nothing to note it on yet: no error
    assert.equal(l.held().size, 0);
  });

  it("keeps the instance id in the log directory's INSTANCE file, and refuses a file that does not hold one", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-instance-"));
    try {
      const id = await instanceIdOf(dir);
      assert.match(id, /^gw-[0-9a-f]{16}$/);
      assert.equal(await instanceIdOf(dir), id);
      assert.equal((await fsp.readdir(dir)).sort().join(","), "INSTANCE", "no temporary file left");
      await fsp.writeFile(path.join(dir, "INSTANCE"), "not an id\n");
      await assert.rejects(instanceIdOf(dir), /INSTANCE does not hold an instance id/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
