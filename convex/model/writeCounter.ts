// Counts the document writes a mutation performs (insert, patch, replace, delete), so the cost of
// recording usage can be measured and reported (`writes` in recordUsageBatch's result, the ledger bench).
import type { GenericMutationCtx } from "convex/server";
import type { DataModel } from "../_generated/dataModel";

const WRITE_METHODS = new Set<string | symbol>(["insert", "patch", "replace", "delete"]);

/** A context whose `db` counts writes, and the running count. Reads pass through unchanged. */
export function countWrites<Ctx extends GenericMutationCtx<DataModel>>(ctx: Ctx): { ctx: Ctx; writes: () => number } {
  let count = 0;
  const db = new Proxy(ctx.db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!WRITE_METHODS.has(property)) return method.bind(target);
      return (...args: unknown[]) => {
        count++;
        return method.apply(target, args);
      };
    },
  });
  return { ctx: { ...ctx, db }, writes: () => count };
}
