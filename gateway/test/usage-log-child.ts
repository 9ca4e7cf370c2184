// Child process for the SIGKILL test: appends entries as fast as it can and prints the id of each one
// whose append resolved (acknowledged = durable), until it is killed.
import { UsageLog } from "../src/usage/log";

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const durability = process.argv[3] === "write" ? "write" : "fsync";
  const log = await UsageLog.open({ dir, durability, maxSegmentBytes: 64 * 1024 });
  let i = 0;
  const worker = async (w: number): Promise<void> => {
    for (;;) {
      const id = `w${w}-${i++}`;
      await log.append({
        requestId: id,
        teamId: "team-1",
        team: "TeamA",
        userId: w % 2 === 0 ? "alice" : null,
        endpoint: "/api/v1/verify",
        units: 1n,
        cost: 10_000n,
        timestampMs: Date.now(),
      });
      process.stdout.write(`${id}\n`);
    }
  };
  process.stdout.write("ready\n");
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));
}

void main();
