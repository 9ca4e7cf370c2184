import assert from "node:assert/strict";
import { api } from "./_generated/api";
import { leaseTargets, TOTAL_BPS } from "./model/leases";
import { newLedger, newWallet, rejectsWith, server, TEST_SECRET, type Ledger } from "./test.setup";
import { mulberry32 } from "../tests/support/prng";

const TTL_MS = 10_000;

type Report = { team: string; usingBps?: number; floorBps?: number; demand?: number; spentBps?: number; periodEnd?: number };

/** One renewal of `instance` for one team; omitted report fields are 0 except usingBps (all: 10_000). */
async function renewOne(t: Ledger, instance: string, report: Report, ttlMs = TTL_MS) {
  const { leases } = await t.mutation(api.leases.renew, {
    auth: server,
    instance,
    ttlMs,
    teams: [
      {
        team: report.team,
        usingBps: report.usingBps ?? TOTAL_BPS,
        floorBps: report.floorBps ?? 0,
        demand: report.demand ?? 0,
        ...(report.spentBps !== undefined ? { spentBps: report.spentBps } : {}),
        ...(report.periodEnd !== undefined ? { periodEnd: report.periodEnd } : {}),
      },
    ],
  });
  return leases[0];
}

/** Time passes: every lease's times move `ms` into the past, as the invitations tests expire a token. */
async function elapse(t: Ledger, ms: number): Promise<void> {
  await t.run(async (ctx) => {
    for (const row of await ctx.db.query("balanceLeases").collect()) {
      await ctx.db.patch(row._id, { expiresAtMs: row.expiresAtMs - ms, updatedAtMs: row.updatedAtMs - ms });
    }
  });
}

async function bpsByInstance(t: Ledger, team: string): Promise<Record<string, number>> {
  const rows = await t.query(api.leases.list, { auth: server, team });
  return Object.fromEntries(rows.map((row) => [row.instance, row.bps]));
}

describe("balance leases", () => {
  it("gives a lone instance the whole team at its first renewal", async () => {
    const t = newLedger();
    const team = newWallet();
    const before = Date.now();
    const { nowMs, leases } = await t.mutation(api.leases.renew, {
      auth: server,
      instance: "gw-a",
      ttlMs: TTL_MS,
      teams: [{ team, usingBps: 0, floorBps: 0, demand: 5 }],
    });
    assert.ok(nowMs >= before && nowMs <= Date.now());
    assert.deepEqual(leases, [{ team, bps: 10_000, targetBps: 10_000, expiresAtMs: nowMs + TTL_MS }]);
    const listed = await t.query(api.leases.list, { auth: server, team });
    assert.deepEqual(listed, [
      {
        instance: "gw-a",
        bps: 10_000,
        floorBps: 0,
        demand: 5,
        expiresAtMs: nowMs + TTL_MS,
        updatedAtMs: nowMs,
        spentBps: 0,
        periodEnd: null,
        released: false,
        live: true,
      },
    ]);
  });

  it("answers several teams in the order asked and keeps teams apart", async () => {
    const t = newLedger();
    const [x, y] = [newWallet(), newWallet()];
    await renewOne(t, "gw-a", { team: x });
    const { leases } = await t.mutation(api.leases.renew, {
      auth: server,
      instance: "gw-b",
      ttlMs: TTL_MS,
      teams: [
        { team: y, usingBps: 0, floorBps: 0, demand: 0 },
        { team: x, usingBps: 0, floorBps: 0, demand: 0 },
      ],
    });
    assert.deepEqual(
      leases.map((l) => [l.team, l.bps, l.targetBps]),
      [
        [y, 10_000, 10_000],
        [x, 0, 0],
      ],
    );
  });

  it("moves half to a second instance in two renewals of the holder, never granting it twice", async () => {
    const t = newLedger();
    const team = newWallet();
    assert.equal((await renewOne(t, "gw-a", { team, demand: 10 })).bps, 10_000);
    // The first holds everything: the newcomer is told its target but gets nothing yet.
    const b0 = await renewOne(t, "gw-b", { team, usingBps: 0, demand: 10 });
    assert.deepEqual([b0.bps, b0.targetBps], [0, 0]);
    // Equal demand: the holder is asked to use 5000 and still holds 10_000 until it confirms.
    const a1 = await renewOne(t, "gw-a", { team, usingBps: 10_000, demand: 10 });
    assert.deepEqual([a1.bps, a1.targetBps], [10_000, 5_000]);
    // It reports using 5000: the ledger frees the rest.
    const a2 = await renewOne(t, "gw-a", { team, usingBps: 5_000, demand: 10 });
    assert.deepEqual([a2.bps, a2.targetBps], [5_000, 5_000]);
    const b1 = await renewOne(t, "gw-b", { team, usingBps: 0, demand: 10 });
    assert.deepEqual([b1.bps, b1.targetBps], [5_000, 5_000]);
    assert.deepEqual(await bpsByInstance(t, team), { "gw-a": 5_000, "gw-b": 5_000 });
  });

  it("never raises bps on a report above it", async () => {
    const t = newLedger();
    const team = newWallet();
    await renewOne(t, "gw-a", { team, demand: 0 });
    await renewOne(t, "gw-b", { team, usingBps: 0, demand: 0 });
    await renewOne(t, "gw-a", { team, usingBps: 5_000, demand: 0 });
    await renewOne(t, "gw-b", { team, usingBps: 0, demand: 0 });
    // gw-a claims to use everything: it keeps 5000, its share.
    const a = await renewOne(t, "gw-a", { team, usingBps: 10_000, demand: 0 });
    assert.deepEqual([a.bps, a.targetBps], [5_000, 5_000]);
    assert.deepEqual(await bpsByInstance(t, team), { "gw-a": 5_000, "gw-b": 5_000 });
  });

  it("splits by demand + 1 and gives the rounding leftover to the greatest weight", async () => {
    const t = newLedger();
    const team = newWallet();
    await renewOne(t, "gw-a", { team, demand: 899 });
    assert.equal((await renewOne(t, "gw-b", { team, usingBps: 0, demand: 99 })).bps, 0);
    const a1 = await renewOne(t, "gw-a", { team, usingBps: 10_000, demand: 899 });
    assert.deepEqual([a1.bps, a1.targetBps], [10_000, 9_000]);
    assert.equal((await renewOne(t, "gw-a", { team, usingBps: 9_000, demand: 899 })).bps, 9_000);
    const b1 = await renewOne(t, "gw-b", { team, usingBps: 0, demand: 99 });
    assert.deepEqual([b1.bps, b1.targetBps], [1_000, 1_000]);

    // Weights 2 and 1: 6666 and 3333, the leftover bps goes to the weight 2.
    const split = leaseTargets(
      [
        { instance: "b", floorBps: 0, demand: 0 },
        { instance: "a", floorBps: 0, demand: 1 },
      ],
      TOTAL_BPS,
    );
    assert.deepEqual([split.get("a"), split.get("b")], [6_667, 3_333]);
    // Equal weights: the leftover goes to the smallest instance name.
    const even = leaseTargets(
      ["c", "a", "b"].map((instance) => ({ instance, floorBps: 0, demand: 7 })),
      TOTAL_BPS,
    );
    assert.deepEqual([even.get("a"), even.get("b"), even.get("c")], [3_334, 3_333, 3_333]);
    // Demands up to 2^53 - 1 split exactly (bigint weights) and the parts add up to the pool.
    const huge = leaseTargets(
      [
        { instance: "a", floorBps: 100, demand: Number.MAX_SAFE_INTEGER },
        { instance: "b", floorBps: 0, demand: Number.MAX_SAFE_INTEGER - 1 },
      ],
      9_001,
    );
    assert.deepEqual([huge.get("a"), huge.get("b")], [4_551, 4_450]);
  });

  it("keeps an instance's target at least its floor even without demand", async () => {
    const t = newLedger();
    const team = newWallet();
    await renewOne(t, "gw-a", { team, demand: 0 });
    await renewOne(t, "gw-a", { team, usingBps: 10_000, floorBps: 8_000, demand: 0 });
    await renewOne(t, "gw-b", { team, usingBps: 0, demand: 1_000 });
    const a = await renewOne(t, "gw-a", { team, usingBps: 10_000, floorBps: 8_000, demand: 0 });
    assert.ok(a.targetBps >= 8_000, `target ${a.targetBps} below the floor`);
    // The rest (2000) goes by weight 1 : 1001.
    assert.deepEqual([a.bps, a.targetBps], [10_000, 8_001]);
    await renewOne(t, "gw-a", { team, usingBps: a.targetBps, floorBps: 8_000, demand: 0 });
    const b = await renewOne(t, "gw-b", { team, usingBps: 0, demand: 1_000 });
    assert.deepEqual([b.bps, b.targetBps], [1_999, 1_999]);
    // A floor is capped at what the instance holds.
    const rows = await t.query(api.leases.list, { auth: server, team });
    assert.deepEqual(
      rows.map((r) => [r.instance, r.bps, r.floorBps]),
      [
        ["gw-a", 8_001, 8_000],
        ["gw-b", 1_999, 0],
      ],
    );
  });

  it("holds an expired lease's bps out of the split until its instance renews again", async () => {
    const t = newLedger();
    const team = newWallet();
    await renewOne(t, "gw-a", { team, demand: 10 });
    await elapse(t, TTL_MS + 1);
    // gw-a may have crashed holding unsettled usage: its 10_000 stay with it, none goes to gw-b.
    const b = await renewOne(t, "gw-b", { team, usingBps: 0, demand: 10 });
    assert.deepEqual([b.bps, b.targetBps], [0, 0]);
    let rows = await t.query(api.leases.list, { auth: server, team });
    assert.deepEqual(
      rows.map((r) => [r.instance, r.bps, r.live]),
      [
        ["gw-a", 10_000, false],
        ["gw-b", 0, true],
      ],
    );
    // Restarted, gw-a renews: its lease is live again and shares with gw-b.
    const a = await renewOne(t, "gw-a", { team, usingBps: 10_000, demand: 10 });
    assert.deepEqual([a.bps, a.targetBps], [10_000, 5_000]);
    rows = await t.query(api.leases.list, { auth: server, team });
    assert.deepEqual(rows.map((r) => r.live), [true, true]);
    // gw-b's lease expires holding nothing: the next renewal drops its row.
    await elapse(t, TTL_MS + 1);
    const again = await renewOne(t, "gw-a", { team, usingBps: 10_000, demand: 10 });
    assert.deepEqual([again.bps, again.targetBps], [10_000, 10_000]);
    assert.deepEqual(await bpsByInstance(t, team), { "gw-a": 10_000 });
  });

  it("releases an instance's leases, all or some teams, and the other instance grows", async () => {
    const t = newLedger();
    const [x, y] = [newWallet(), newWallet()];
    for (const team of [x, y]) {
      await renewOne(t, "gw-a", { team, demand: 1 });
      assert.equal((await renewOne(t, "gw-b", { team, usingBps: 0, demand: 1 })).bps, 0);
    }
    assert.deepEqual(await t.mutation(api.leases.release, { auth: server, instance: "gw-a", teams: [x] }), { released: 1 });
    assert.deepEqual(await bpsByInstance(t, x), { "gw-b": 0 });
    assert.deepEqual(await bpsByInstance(t, y), { "gw-a": 10_000, "gw-b": 0 });
    assert.equal((await renewOne(t, "gw-b", { team: x, usingBps: 0, demand: 1 })).bps, 10_000);
    // Releasing a team it holds nothing of releases nothing; without teams: all its rows.
    assert.deepEqual(await t.mutation(api.leases.release, { auth: server, instance: "gw-a", teams: [x] }), { released: 0 });
    assert.deepEqual(await t.mutation(api.leases.release, { auth: server, instance: "gw-a" }), { released: 1 });
    assert.deepEqual(await bpsByInstance(t, y), { "gw-b": 0 });
    assert.equal((await renewOne(t, "gw-b", { team: y, usingBps: 0, demand: 1 })).bps, 10_000);
  });

  it("keeps a released instance's spent share out of every split until a renewal reports a later period", async () => {
    const t = newLedger();
    const team = newWallet();
    const PERIOD = 1_800_000_000;
    await renewOne(t, "gw-a", { team }); // granted the whole
    await renewOne(t, "gw-a", { team, floorBps: 3_000, spentBps: 2_000, periodEnd: PERIOD });
    // Released after settling: what it spent this period stays spent; the rest is free.
    assert.deepEqual(await t.mutation(api.leases.release, { auth: server, instance: "gw-a" }), { released: 1 });
    const [held] = await t.query(api.leases.list, { auth: server, team });
    assert.deepEqual([held.instance, held.bps, held.floorBps, held.spentBps, held.periodEnd, held.released, held.live], ["gw-a", 2_000, 2_000, 2_000, PERIOD, true, false]);
    assert.equal((await renewOne(t, "gw-b", { team, usingBps: 0, periodEnd: PERIOD })).bps, 8_000, "the same period: 2,000 stay held");
    // A release of an instance that spent nothing deletes its row.
    await renewOne(t, "gw-c", { team, usingBps: 0, periodEnd: PERIOD });
    await t.mutation(api.leases.release, { auth: server, instance: "gw-c" });
    assert.deepEqual(Object.keys(await bpsByInstance(t, team)).sort(), ["gw-a", "gw-b"]);
    // The instance that spent it comes back: its row is live again, from the spent share.
    await renewOne(t, "gw-a", { team, usingBps: 10_000, floorBps: 2_000, spentBps: 2_000, periodEnd: PERIOD });
    assert.equal((await t.query(api.leases.list, { auth: server, team })).find((r) => r.instance === "gw-a")?.live, true);
    await t.mutation(api.leases.release, { auth: server, instance: "gw-a" });
    // A renewal that reports a later period (the next one's end) gives the held share back to the team.
    const later = await renewOne(t, "gw-b", { team, usingBps: 8_000, periodEnd: PERIOD + 2_592_000 });
    assert.deepEqual(await bpsByInstance(t, team), { "gw-b": later.bps });
    assert.equal((await renewOne(t, "gw-b", { team, usingBps: later.bps, periodEnd: PERIOD + 2_592_000 })).bps, 10_000);
  });

  it("refuses every call without the right server secret", async () => {
    const t = newLedger();
    const team = newWallet();
    const wrong = { secret: TEST_SECRET + "x" };
    const teams = [{ team, usingBps: 0, floorBps: 0, demand: 0 }];
    await rejectsWith(t.mutation(api.leases.renew, { auth: wrong, instance: "gw-a", ttlMs: TTL_MS, teams }), "unauthorized");
    await rejectsWith(t.mutation(api.leases.release, { auth: wrong, instance: "gw-a" }), "unauthorized");
    await rejectsWith(t.query(api.leases.list, { auth: wrong, team }), "unauthorized");
    assert.deepEqual(await t.query(api.leases.list, { auth: server, team }), []);
  });

  it("refuses malformed instances, ttls, team lists and reports", async () => {
    const t = newLedger();
    const team = newWallet();
    const ok: { team: string; usingBps: number; floorBps: number; demand: number; spentBps?: number; periodEnd?: number } = {
      team,
      usingBps: 100,
      floorBps: 50,
      demand: 3,
    };
    const renew = (fields: { instance?: string; ttlMs?: number; teams?: (typeof ok)[] }) =>
      t.mutation(api.leases.renew, { auth: server, instance: "gw-a", ttlMs: TTL_MS, teams: [ok], ...fields });
    for (const instance of ["", "x".repeat(65), "gw a", "gw/a", "gw-é"]) {
      await rejectsWith(renew({ instance }), "invalid_argument");
    }
    for (const ttlMs of [999, 600_001, 1_500.5, Number.NaN]) await rejectsWith(renew({ ttlMs }), "invalid_argument");
    const many = Array.from({ length: 501 }, () => ({ ...ok, team: newWallet() }));
    for (const teams of [[], many, [ok, { ...ok }], [{ ...ok, team: "not-an-address" }], [{ ...ok, team: "1".repeat(44) }]]) {
      await rejectsWith(renew({ teams }), "invalid_argument");
    }
    const bad: Partial<typeof ok>[] = [
      { usingBps: -1, floorBps: 0 },
      { usingBps: 10_001 },
      { usingBps: 1.5, floorBps: 0 },
      { floorBps: -1 },
      { floorBps: 101 },
      { usingBps: 10_000, floorBps: 10_001 },
      { floorBps: 0.5 },
      { demand: -1 },
      { demand: 1.5 },
      { demand: 2 ** 53 },
      { demand: Number.POSITIVE_INFINITY },
      { spentBps: -1 },
      { spentBps: 51 },
      { spentBps: 0.5 },
      { periodEnd: -1 },
      { periodEnd: 1.5 },
      { periodEnd: Number.NaN },
    ];
    for (const fields of bad) await rejectsWith(renew({ teams: [{ ...ok, ...fields }] }), "invalid_argument");
    // The limits themselves are accepted: 600_000 ms, 500 teams, 2^53 - 1 requests, 10_000 bps floors.
    const limits = await renew({
      instance: "A.z_0:9-" + "x".repeat(56),
      ttlMs: 600_000,
      teams: [{ ...ok, usingBps: 10_000, floorBps: 10_000, demand: Number.MAX_SAFE_INTEGER }, ...many.slice(0, 499)],
    });
    assert.equal(limits.leases.length, 500);
    // Nothing refused was stored.
    assert.deepEqual((await t.query(api.leases.list, { auth: server, team })).map((r) => r.instance), ["A.z_0:9-" + "x".repeat(56)]);

    await rejectsWith(t.mutation(api.leases.release, { auth: server, instance: "" }), "invalid_argument");
    await rejectsWith(t.mutation(api.leases.release, { auth: server, instance: "gw-a", teams: [] }), "invalid_argument");
    await rejectsWith(t.mutation(api.leases.release, { auth: server, instance: "gw-a", teams: ["nope"] }), "invalid_argument");
    await rejectsWith(t.mutation(api.leases.release, { auth: server, instance: "gw-a", teams: [team, team] }), "invalid_argument");
    await rejectsWith(t.query(api.leases.list, { auth: server, team: "nope" }), "invalid_argument");
  });

  it("keeps Σ bps ≤ 10_000 per team and targetBps ≤ bps through a random sequence of renewals, releases and time", async () => {
    const t = newLedger();
    const random = mulberry32(20_261_120);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const int = (max: number) => Math.floor(random() * (max + 1));
    const instances = ["gw-a", "gw-b", "gw-c"];
    const teams = [newWallet(), newWallet()];
    // What each instance last heard per team; most reports follow the protocol, some are arbitrary.
    const grants = new Map<string, { bps: number; targetBps: number; floorBps: number }>();
    const counts = { renewals: 0, grown: 0, releases: 0, jumps: 0, held: 0 };
    for (let step = 0; step < 300; step++) {
      const roll = random();
      if (roll < 0.75) {
        const instance = pick(instances);
        const asked = teams.filter(() => random() < 0.7);
        if (asked.length === 0) asked.push(pick(teams));
        const reports = asked.map((team) => {
          const heard = grants.get(`${instance} ${team}`) ?? { bps: 0, targetBps: 0, floorBps: 0 };
          const usingBps =
            random() < 0.8 ? Math.max(heard.floorBps, Math.min(heard.targetBps, heard.bps)) : int(TOTAL_BPS);
          const floorBps = random() < 0.5 ? 0 : int(usingBps);
          const spent = random() < 0.5 ? { spentBps: int(floorBps), periodEnd: pick([100, 200, 300]) } : {};
          return { team, usingBps, floorBps, demand: random() < 0.2 ? 0 : int(2_000), ...spent };
        });
        const ttlMs = pick([1_000, 5_000, 60_000]);
        const { leases } = await t.mutation(api.leases.renew, { auth: server, instance, ttlMs, teams: reports });
        assert.deepEqual(leases.map((l) => l.team), asked);
        leases.forEach((lease, i) => {
          assert.ok(Number.isInteger(lease.bps) && lease.bps >= 0 && lease.bps <= TOTAL_BPS, `step ${step}: bps ${lease.bps}`);
          assert.ok(lease.targetBps >= 0 && lease.targetBps <= lease.bps, `step ${step}: targetBps ${lease.targetBps} > bps ${lease.bps}`);
          const key = `${instance} ${lease.team}`;
          if (lease.bps > (grants.get(key)?.bps ?? 0)) counts.grown++;
          grants.set(key, { bps: lease.bps, targetBps: lease.targetBps, floorBps: Math.min(reports[i].floorBps, lease.bps) });
        });
        counts.renewals++;
      } else if (roll < 0.85) {
        const instance = pick(instances);
        const some = random() < 0.5 ? [pick(teams)] : undefined;
        await t.mutation(api.leases.release, { auth: server, instance, teams: some });
        for (const team of some ?? teams) grants.delete(`${instance} ${team}`);
        counts.releases++;
      } else {
        await elapse(t, pick([500, 2_000, 10_000, 120_000]));
        counts.jumps++;
      }
      for (const team of teams) {
        const rows = await t.query(api.leases.list, { auth: server, team });
        const sum = rows.reduce((s, r) => s + r.bps, 0);
        assert.ok(sum <= TOTAL_BPS, `step ${step}: Σ bps ${sum} > ${TOTAL_BPS} for a team`);
        for (const r of rows) {
          assert.ok(r.floorBps <= r.bps, `step ${step}: ${r.instance} floor ${r.floorBps} > bps ${r.bps}`);
          assert.ok(r.spentBps <= r.floorBps, `step ${step}: ${r.instance} spent ${r.spentBps} > floor ${r.floorBps}`);
          if (r.released) {
            counts.held++;
            assert.equal(r.bps, r.spentBps, `step ${step}: a released row holds its spent share only`);
          }
        }
      }
    }
    // The sequence exercised every branch, and shares moved more than once.
    assert.ok(counts.renewals > 150 && counts.releases > 10 && counts.jumps > 10 && counts.grown > 20 && counts.held > 5, JSON.stringify(counts));
  });
});
