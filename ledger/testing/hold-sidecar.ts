// A parent process for tests: starts a sidecar on the fixture functions in the data directory given
// as argv[2], prints `{ pid, url }` of the sidecar, and then waits to be killed.
import { startSidecarProcess } from "../start-sidecar";
import { FIXTURE_FUNCTIONS_DIR } from "./support";

startSidecarProcess({ dataDir: process.argv[2], functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false }).then(
  (sidecar) => {
    process.stdout.write(JSON.stringify({ pid: sidecar.pid, url: sidecar.url }) + "\n");
    setInterval(() => {}, 60_000);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
