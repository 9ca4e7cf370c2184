// The key that signs session cookies.
//
// - `SESSION_SECRET` (≥ 32 characters) when set. Required when the ledger is a Convex deployment
//   (`CONVEX_URL`), i.e. in production, and with several dashboard instances (they must share it).
// - Embedded default (no `CONVEX_URL`, no `SESSION_SECRET`): 256 random bits generated on first use and
//   kept in `$APP_DATA_DIR/session-secret` (default `.data/app/`, git-ignored, mode 0600), so sessions
//   survive a restart of `npm start` and no secret is ever committed.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { EnvError, serverEnv, type ServerEnv } from "../env";

const FILE = "session-secret";

export function resolveSessionSecret(env: ServerEnv): string {
  if (env.sessionSecret) return env.sessionSecret;
  if (env.productionLedger) throw new EnvError("SESSION_SECRET", "must be set when the ledger is a Convex deployment (CONVEX_URL is set)");
  const file = path.join(env.appDataDir, FILE);
  try {
    const stored = fs.readFileSync(file, "utf8").trim();
    if (stored.length >= 32) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  fs.mkdirSync(env.appDataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  // "wx": if another process wrote the file first, read theirs instead of overwriting it.
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return fs.readFileSync(file, "utf8").trim();
  }
}

let cached: { env: ServerEnv; secret: string } | null = null;

/** The session secret of this process (resolved once per environment). */
export function sessionSecret(): string {
  const env = serverEnv();
  if (cached?.env !== env) cached = { env, secret: resolveSessionSecret(env) };
  return cached.secret;
}
