// GET: what the bench app's gate served, what is still unsettled (the benchmark waits for 0) and where its clients run.
import "../../../../billing";
import { billingStats } from "../../../../../../gateway/src/next";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  return Response.json((await billingStats()) ?? { served: 0, refused: 0, unsettled: null, clients: null });
}
