// POST /api/v1/verify — verify one ed25519 signature; 1 unit.
import { withBilling } from "../../../../gateway/src/next";
import { verify } from "../_verify";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withBilling(verify, { endpoint: "/api/v1/verify", units: 1 });
