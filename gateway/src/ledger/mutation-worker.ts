// Worker thread of OffThreadMutations: runs ledger mutations as the server with its own ledger client.
import { parentPort, workerData } from "node:worker_threads";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { api, createLedgerClient } from "../../../ledger/client";
import { pinTickObjectShape } from "../threads/tick-shape";

interface MutationRequest {
  id: number;
  /** The mutation's function name ("usage:recordUsageBatch"). */
  name: string;
  args: Record<string, unknown>;
}

if (parentPort) pinTickObjectShape(); // see threads/tick-shape.ts

const access = workerData as { url: string; serverSecret: string };
const ledger = createLedgerClient({ url: access.url, serverSecret: access.serverSecret }).server();
type AnyMutation = typeof api.usage.recordUsageBatch;

parentPort?.on("message", (m: MutationRequest) => {
  ledger.mutation(makeFunctionReference<"mutation">(m.name) as AnyMutation, m.args as never).then(
    (value) => parentPort!.postMessage({ id: m.id, value }),
    (err: unknown) =>
      parentPort!.postMessage({
        id: m.id,
        error: { message: err instanceof Error ? err.message : String(err), data: err instanceof ConvexError ? (err.data as unknown) : undefined },
      }),
  );
});
