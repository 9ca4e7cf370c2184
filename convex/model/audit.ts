// The audit log: one entry per sensitive operation (keys, roles, invitations, allocations, invoices).
import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";

export type AuditDetails = Record<string, string | number | bigint | boolean | null>;

export async function audit(
  ctx: MutationCtx,
  entry: { teamId: Id<"teams">; actor: string; action: string; target: string; details?: AuditDetails },
): Promise<void> {
  await ctx.db.insert("auditLog", { ...entry, atMs: Date.now() });
}
