// Environment for the dashboard's tests, set before any module reads it (lib/env.ts parses once). Imported
// first by every test file that reaches serverEnv().
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const TEST_SESSION_SECRET = "dashboard-test-session-secret-0123456789";

process.env.SESSION_SECRET ??= TEST_SESSION_SECRET;
process.env.APP_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-test-"));
