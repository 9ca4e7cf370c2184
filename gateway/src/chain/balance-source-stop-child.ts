// A process that follows one team through ChainBalanceSource with subscriptions, waits until they are
// healthy, stops the source and returns without exiting explicitly: its exit (checked by
// balance-source-simnet.test.ts) shows that stop() leaves no timer or socket keeping the process alive.
//   tsx balance-source-stop-child.ts <rpcUrl> <wsUrl> <programId> <team>
// Prints one JSON line: {"healthy":true,"stoppedAtMs":<unix ms>}.
import { Connection, PublicKey } from "@solana/web3.js";
import { ChainBalanceSource } from "./balance-source";

async function main(): Promise<void> {
  const [rpcUrl, wsUrl, programId, team] = process.argv.slice(2);
  if (!rpcUrl || !wsUrl || !programId || !team) throw new Error("usage: <rpcUrl> <wsUrl> <programId> <team>");
  const connection = new Connection(rpcUrl, { commitment: "confirmed", wsEndpoint: wsUrl });
  const src = new ChainBalanceSource({ connection, programId: new PublicKey(programId), pollMs: 200 });
  await src.follow(team);
  src.start();
  const deadline = Date.now() + 10_000;
  while (!src.subscriptionsHealthy()) {
    if (Date.now() > deadline) throw new Error("subscriptions never became healthy");
    await new Promise((r) => setTimeout(r, 20));
  }
  await src.stop();
  process.stdout.write(`${JSON.stringify({ healthy: true, stoppedAtMs: Date.now() })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
