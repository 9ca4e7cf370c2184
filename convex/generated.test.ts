// convex/_generated is committed (Convex's codegen needs no deployment only in its offline form); this
// check regenerates it in a scratch copy of the project and fails when the committed files are stale.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..");

describe("generated Convex code", () => {
  it("matches what `convex codegen` produces from the current functions", function () {
    this.timeout(60_000);
    const scratch = mkdtempSync(join(tmpdir(), "ledger-codegen-"));
    try {
      cpSync(join(root, "convex"), join(scratch, "convex"), { recursive: true });
      writeFileSync(join(scratch, "package.json"), readFileSync(join(root, "package.json")));
      symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"), "dir");
      execFileSync(process.execPath, [join(root, "node_modules", "convex", "bin", "main.js"), "codegen", "--system-udfs", "--typecheck", "disable"], {
        cwd: scratch,
        stdio: "pipe",
      });
      const generated = join(root, "convex", "_generated");
      for (const file of readdirSync(generated)) {
        const fresh = readFileSync(join(scratch, "convex", "_generated", file), "utf8");
        assert.equal(readFileSync(join(generated, file), "utf8"), fresh, `convex/_generated/${file} is stale: run npx convex codegen --system-udfs --typecheck disable`);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
