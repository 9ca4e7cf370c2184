// HTTP routes of the ledger. Business calls go through the function API (ConvexHttpClient); this router
// only answers a health probe that load balancers and the embedded sidecar's supervisor can poll.
import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";

const http = httpRouter();

http.route({
  path: "/health",
  method: "GET",
  handler: httpAction(async () => Response.json({ ok: true })),
});

export default http;
