// POST /api/v1/batch/verify — verify N ed25519 signatures; N units (one per item, at most 1,000).
import { withBilling } from "../../../../../gateway/src/next";
import { batchUnits, verifyBatch } from "../../_verify";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withBilling(verifyBatch, { endpoint: "/api/v1/batch/verify", units: batchUnits });
