// The gate for handlers written against the Fetch API's Request/Response (Next.js route handlers and any
// runtime with the same shape). Gate inside the handler, not in Next's proxy.ts: measured, the proxy layer
// alone halves throughput while the in-handler gate costs nothing measurable (facts-platform.md).
import type { Admission, Gate, RefusalBody } from "../gate";
import { HEADER } from "../gate";
import { isUsageLogUnavailable } from "../ticket";
import { REFUSALS, REFUSAL_MESSAGES } from "../errors";
import { apiKeyFrom, userIdFrom } from "../request";

/** Requests a call counts as: a number, or computed from the request (e.g. items in a batch body). */
export type UnitsSpec = number | ((req: Request) => number | Promise<number>);

export interface BillingRoute {
  /** Endpoint billed (usage records, rollups), e.g. "/api/v1/verify". */
  endpoint: string;
  /** Default 1. */
  units?: UnitsSpec;
}

/** What the handler learns about its admission. */
export interface BillingContext {
  readonly requestId: string;
  readonly cost: bigint;
  readonly units: number;
}

export type BilledHandler<C> = (req: Request, ctx: C & { billing: BillingContext }) => Response | Promise<Response>;

/** Whether a handler's response status is charged. Default: 2xx and 3xx (the request was served). */
export type ChargePolicy = (status: number) => boolean;
export const chargeServed: ChargePolicy = (status) => status >= 200 && status < 400;

export interface FetchBillingOptions {
  /** Default chargeServed: 2xx and 3xx are charged; 4xx/5xx responses and thrown errors are not. */
  charge?: ChargePolicy;
}

/** The refusal as a JSON Response carrying the gate's headers. */
export function refusalResponse(a: Pick<Admission, "status" | "body" | "headers">): Response {
  const headers = new Headers(a.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(a.body), { status: a.status, headers });
}

/** The gate's headers without the billing ones: for responses that were not charged. */
export function unchargedHeaders(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in h) if (name !== HEADER.cost && name !== HEADER.available) out[name] = h[name]!;
  return out;
}

function usageLogUnavailable(a: Admission): Response {
  const body: RefusalBody = { error: "usage_log_unavailable", message: REFUSAL_MESSAGES.usage_log_unavailable };
  const headers = { ...unchargedHeaders(a.headers), [HEADER.retryAfter]: "1" };
  return refusalResponse({ status: REFUSALS.usage_log_unavailable, body, headers });
}

/**
 * `res` with the gate's headers added: set on it where its headers can change (Response.json(), new
 * Response(), NextResponse), else on a copy (a fetch() answer or Response.redirect(), whose headers are
 * immutable: setting one throws a TypeError; the gate's own values are always valid). The copy costs a
 * Headers, a Response and a second stream over the body, dearer in a Next.js server, where every promise
 * and stream step also runs the async-context hooks.
 */
export function withGateHeaders(res: Response, gateHeaders: Readonly<Record<string, string>>): Response {
  try {
    for (const name in gateHeaders) res.headers.set(name, gateHeaders[name]!);
    return res;
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
  }
  const headers = new Headers(res.headers);
  for (const name in gateHeaders) headers.set(name, gateHeaders[name]!);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** The units a request counts as; a promise only when a function computes them asynchronously. */
function unitsOf(spec: UnitsSpec | undefined, req: Request): number | Promise<number> {
  if (spec === undefined) return 1;
  return typeof spec === "number" ? spec : spec(req);
}

/** Result of apiBillingMiddleware: refused (send `response`) or admitted (call `finish` or `abort`). */
export type MiddlewareResult =
  | { ok: false; response: Response; admission: Admission }
  | {
      ok: true;
      admission: Admission;
      /** Commits the usage (durably) and returns `res` with the billing headers; 503 if the log fails. */
      finish(res: Response): Promise<Response>;
      /** The request will not be served: give the reservation back. */
      abort(): void;
    };

export interface FetchBilling {
  /** Wraps a route handler: admits, runs it, commits usage before returning its response with billing headers. */
  withBilling<C = unknown>(handler: BilledHandler<C>, route: BillingRoute): (req: Request, ctx: C) => Promise<Response>;
  /** The same steps for handlers that prefer to drive them. */
  apiBillingMiddleware(req: Request, endpoint: string, units?: UnitsSpec): Promise<MiddlewareResult>;
}

/** Binds the Fetch adapter to a gate. */
export function fetchBilling(gate: Gate, options: FetchBillingOptions = {}): FetchBilling {
  const charge = options.charge ?? chargeServed;

  async function admitRequest(req: Request, endpoint: string, units: UnitsSpec | undefined) {
    const get = (n: string) => req.headers.get(n);
    let n: number;
    try {
      const counted = unitsOf(units, req);
      n = typeof counted === "number" ? counted : await counted;
    } catch {
      n = Number.NaN; // a units function that cannot read the request: the gate answers 422
    }
    const input = { key: apiKeyFrom(get), userId: userIdFrom(get), endpoint, units: n };
    const admission = gate.admitNow(input) ?? (await gate.admit(input));
    return { admission, units: n };
  }

  async function finishWith(admission: Admission, res: Response): Promise<Response> {
    const ticket = admission.ticket!;
    if (!charge(res.status)) {
      ticket.release();
      return withGateHeaders(res, unchargedHeaders(admission.headers));
    }
    try {
      await ticket.commit();
    } catch (err) {
      if (isUsageLogUnavailable(err)) {
        await res.body?.cancel().catch(() => undefined);
        return usageLogUnavailable(admission);
      }
      throw err;
    }
    return withGateHeaders(res, admission.headers);
  }

  return {
    withBilling<C>(handler: BilledHandler<C>, route: BillingRoute) {
      return async (req: Request, ctx: C): Promise<Response> => {
        const { admission, units } = await admitRequest(req, route.endpoint, route.units);
        if (!admission.ok) return refusalResponse(admission);
        const billing: BillingContext = { requestId: admission.requestId, cost: admission.cost, units };
        let res: Response;
        try {
          res = await handler(req, { ...(ctx as object), billing } as C & { billing: BillingContext });
        } catch (err) {
          admission.ticket!.release();
          throw err;
        }
        return finishWith(admission, res);
      };
    },

    async apiBillingMiddleware(req: Request, endpoint: string, units?: UnitsSpec): Promise<MiddlewareResult> {
      const { admission } = await admitRequest(req, endpoint, units);
      if (!admission.ok) return { ok: false, response: refusalResponse(admission), admission };
      return {
        ok: true,
        admission,
        finish: (res) => finishWith(admission, res),
        abort: () => admission.ticket!.release(),
      };
    },
  };
}
