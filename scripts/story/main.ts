// Plays the team story (scripts/story/team-story.ts) and prints its step table (amounts in USDC). Exits 1
// when the chain differs from any amount the story expects.
import { formatStoryTable, runTeamStory } from "./team-story";

runTeamStory()
  .then(({ rows, mismatches }) => {
    console.log("\nA Startup team's billing, played in the Solana VM (litesvm) through the SDK; amounts in USDC\n");
    console.log(formatStoryTable(rows));
    if (mismatches.length) {
      console.error(`\n${mismatches.length} mismatch(es) with the expected amounts:`);
      for (const m of mismatches) console.error(`  - ${m}`);
      process.exit(1);
    }
    console.log("\nevery balance matches the billing rules (docs/billing-math.md)");
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
