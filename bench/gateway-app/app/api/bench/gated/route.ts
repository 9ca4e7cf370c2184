// The paid verify handler behind withBilling, billed as /api/v1/verify.
import "../../../../billing";
import { withBilling } from "../../../../../../gateway/src/next";
import { verify } from "../../../../../../app/api/v1/_verify";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withBilling(verify, { endpoint: "/api/v1/verify", units: 1 });
