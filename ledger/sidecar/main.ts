// `node --import tsx ledger/sidecar/main.ts [--port N] [--data-dir D] [--functions-dir F] [--no-crons]`
//
// The embedded ledger as its own process (convex-test replaces ~26 globals process-wide, so it is
// kept out of the app's process). Options fall back to LEDGER_PORT, LEDGER_DATA_DIR,
// LEDGER_FUNCTIONS_DIR, LEDGER_FSYNC=0 and LEDGER_CRONS=0. Events are printed as one JSON object
// per line on stdout; the first `{"event":"listening","url":…}` line says it is ready.
// SIGTERM/SIGINT close it cleanly (snapshot, lock released); SIGKILL loses nothing committed.
import { parseArgs } from "node:util";
import { SidecarError } from "./errors";
import { DEFAULT_PORT, startSidecar } from "./sidecar";

// When the parent that reads our output dies, writes fail with EPIPE: that must not stop the
// clean shutdown the same event starts.
let outputClosed = false;
process.stdout.on("error", () => {
  outputClosed = true;
});
process.stderr.on("error", () => {});

function emit(event: string, fields: Record<string, unknown> = {}): void {
  if (!outputClosed) process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "data-dir": { type: "string" },
      "functions-dir": { type: "string" },
      "no-crons": { type: "boolean" },
    },
  });
  const portText = values.port ?? process.env.LEDGER_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${portText}"`);
  if (!process.env.LEDGER_SERVER_SECRET) {
    emit("warning", { message: "LEDGER_SERVER_SECRET is not set: the ledger functions will refuse every call" });
  }
  const sidecar = await startSidecar({
    port,
    dataDir: values["data-dir"] ?? process.env.LEDGER_DATA_DIR,
    functionsDir: values["functions-dir"] ?? process.env.LEDGER_FUNCTIONS_DIR,
    fsync: process.env.LEDGER_FSYNC !== "0",
    crons: !(values["no-crons"] ?? process.env.LEDGER_CRONS === "0"),
    log: emit,
  });
  emit("listening", { url: sidecar.url, pid: process.pid, crons: sidecar.crons === null ? [] : Object.keys(sidecar.crons.nextRuns()) });
  const stop = (signal: string) => {
    emit("stopping", { signal });
    sidecar.close().then(
      () => process.exit(0),
      (error: unknown) => {
        emit("stop_failed", { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  // Started by ledger/start-sidecar.ts: its IPC channel closes when the parent dies.
  if (process.send !== undefined) process.once("disconnect", () => stop("parent_gone"));
}

main().catch((error: unknown) => {
  emit("failed", {
    code: error instanceof SidecarError ? error.code : "sidecar_start_failed",
    message: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
