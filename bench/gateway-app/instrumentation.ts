// Next.js runs register() once per server, before any request: the gate the bench routes start then runs its
// settlement and clients outside request contexts, as in the main app (gateway/src/next-context.ts).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { prepareBilling } = await import("../../gateway/src/next-context");
  prepareBilling();
}
