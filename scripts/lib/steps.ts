// Runs named shell steps in order, streaming their output, timing each and stopping at the first
// failure with its exit code. Shared by `npm test` and `npm start`.
import { spawnSync } from "node:child_process";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "..", "..");

export interface Step {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export function runSteps(steps: Step[]): void {
  const timings: { step: string; seconds: number }[] = [];
  for (const step of steps) {
    console.log(`\n=== ${step.name} ===`);
    const started = Date.now();
    const result = spawnSync(step.command, step.args, {
      cwd: repoRoot,
      stdio: "inherit",
      env: { ...process.env, ...step.env },
    });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    timings.push({ step: step.name, seconds });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      console.error(`\n${step.name} failed (exit ${result.status ?? result.signal}) after ${seconds} s`);
      process.exit(result.status ?? 1);
    }
  }
  console.log("\nsteps:");
  for (const t of timings) console.log(`  ${t.step.padEnd(28)} ${t.seconds.toFixed(1).padStart(7)} s`);
}

export function npmRun(script: string, ...extra: string[]): Step {
  return { name: script, command: "npm", args: ["run", "-s", script, ...(extra.length ? ["--", ...extra] : [])] };
}
