// Measures the embedded ledger as servers use it: `npx tsx ledger/measure.ts`.
// Starts a sidecar on the fixture functions in a temp directory, loads 10,000 documents, and prints
// one JSON line: per-call latency through ConvexHttpClient, indexed query time at 10,000 documents
// (1 and 100 results), and the restart time of a store of that size (from snapshot and from log).
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { startSidecarProcess, type SidecarProcess } from "./start-sidecar";
import { FIXTURE_FUNCTIONS_DIR, tempDir } from "./testing/support";

const DOCUMENTS = 10_000;
const TEAMS = 100; // 100 notes per team
const CALLS = 200;

async function perCallMs(calls: number, call: (i: number) => Promise<unknown>): Promise<number> {
  await call(0);
  const started = performance.now();
  for (let i = 0; i < calls; i++) await call(i);
  return Number(((performance.now() - started) / calls).toFixed(3));
}

async function main(): Promise<void> {
  const data = tempDir("measure");
  let sidecar: SidecarProcess | undefined;
  const start = async () => {
    const started = performance.now();
    sidecar = await startSidecarProcess({ dataDir: data.dir, functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false });
    const ms = performance.now() - started;
    return { client: new ConvexHttpClient(sidecar.url, { skipConvexDeploymentUrlCheck: true, logger: false }), ms };
  };
  try {
    let { client } = await start();
    const emptyQueryMs = await perCallMs(CALLS, () => client.query(anyApi.notes.byTeam, { team: "nobody" }));
    const mutationMs = await perCallMs(CALLS, (i) => client.mutation(anyApi.notes.add, { team: "solo", body: `${i}`, amount: 1n }));
    await client.mutation(anyApi.notes.addMany, { count: DOCUMENTS, teams: TEAMS });
    for (let i = 0; i < CALLS; i++) await client.mutation(anyApi.notes.add, { team: `unique-${i}`, body: "", amount: 0n });
    const indexed1Ms = await perCallMs(CALLS, (i) => client.query(anyApi.notes.byTeam, { team: `unique-${i}` }));
    const indexed100Ms = await perCallMs(CALLS, (i) => client.query(anyApi.notes.byTeam, { team: `team-${i % TEAMS}` }));
    await sidecar!.kill();
    const fromLog = await start();
    client = fromLog.client;
    await sidecar!.stop();
    const fromSnapshot = await start();
    await sidecar!.stop();
    console.log(
      JSON.stringify({
        documents: DOCUMENTS + 2 * CALLS + 1,
        queryMs: emptyQueryMs,
        mutationMs,
        indexedQuery1ResultMs: indexed1Ms,
        indexedQuery100ResultsMs: indexed100Ms,
        restartFromLogMs: Math.round(fromLog.ms),
        restartFromSnapshotMs: Math.round(fromSnapshot.ms),
      }),
    );
  } finally {
    await sidecar?.kill();
    data.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
