// Debian's chromium driven by playwright-core (`npx playwright install` cannot reach its download host
// here). Installed with apt-get on first use when missing, so the tests run on a fresh machine.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Installs Debian's chromium when it is missing (needs root and the Debian mirrors). */
export function ensureChromium(log: (line: string) => void = () => {}): string {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  log("installing chromium with apt-get (first run only)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env, timeout: 300_000 });
  execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env, timeout: 600_000 });
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt-get finished but ${CHROMIUM} is missing`);
  return CHROMIUM;
}

/**
 * Headless chromium with no background traffic (updates, sync, QUIC probes); playwright gives each
 * launch a fresh temporary profile.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const executablePath = ensureChromium((l) => console.log(l));
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
