// Next.js runs register() once per server, before any request (never during `next build`). The billing
// gate of the paid routes (app/api/v1) starts here, in a context outside requests (gateway/src/next-context.ts),
// so that a restarted server settles what its usage log holds without waiting for a paid request. Without
// BILLING_AUTHORITY_KEYPAIR (a dashboard-only run) it is left to start with the first paid request, which
// then answers 503.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { prepareBilling } = await import("./gateway/src/next-context");
  prepareBilling();
  if (process.env.BILLING_AUTHORITY_KEYPAIR) {
    const { startBilling } = await import("./gateway/src/next");
    void startBilling();
  }
}
