// GET: what the bench app's gate served and what is still unsettled (the benchmark waits for 0).
import "../../../../billing";
import { billingStats } from "../../../../../../gateway/src/next";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  return Response.json((await billingStats()) ?? { served: 0, refused: 0, unsettled: null });
}
