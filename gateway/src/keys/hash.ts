import { createHash } from "node:crypto";

/** sha256 hex of a presented API key: the form the ledger stores keys in. */
export function hashApiKey(presented: string): string {
  return createHash("sha256").update(presented, "utf8").digest("hex");
}
