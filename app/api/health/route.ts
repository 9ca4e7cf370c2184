// GET /api/health — the paid routes' billing gate (gateway/src/health.ts): 200 while it can serve paid
// requests (status "ok", or "degraded" with the failing part named), 503 when it cannot. For load balancers
// and operators; states and figures only.
import { billingHealth } from "../../../gateway/src/next";
import { healthHttpStatus } from "../../../gateway/src/health";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  const health = billingHealth();
  return Response.json(health, { status: healthHttpStatus(health), headers: { "cache-control": "no-store" } });
}
