// Next.js runs register() once per server, before any request: the billing gate, started later by the first
// paid request (app/api/v1), then runs its background work outside request contexts (gateway/src/next-context.ts).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { prepareBilling } = await import("./gateway/src/next-context");
  prepareBilling();
}
