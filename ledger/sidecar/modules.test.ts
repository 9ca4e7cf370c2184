// The engine's module map is built from whatever the functions directory holds.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURE_FUNCTIONS_DIR, tempDir } from "../testing/support";
import { SidecarError } from "./errors";
import { isEngineModule, listEngineModules, loadConvexModules } from "./modules";

describe("convex/ module map", function () {
  it("keeps sources and leaves out tests, test setup, declarations and dot folders", function () {
    for (const file of ["teams.ts", "model/usage.ts", "_generated/api.js", "http.ts", "crons.ts", "legacy.mjs"]) {
      assert.equal(isEngineModule(file), true, file);
    }
    for (const file of ["teams.test.ts", "usage.spec.ts", "test.setup.ts", "vitest.setup.ts", "_generated/api.d.ts", "__tests__/a.ts", ".cache/x.ts", "README.md", "tsconfig.json"]) {
      assert.equal(isEngineModule(file), false, file);
    }
  });

  it("loads the fixture with its schema, _generated and no test setup file", async function () {
    assert.deepEqual(listEngineModules(FIXTURE_FUNCTIONS_DIR), [
      "_generated/api.ts",
      "_generated/server.ts",
      "crons.ts",
      "http.ts",
      "notes.ts",
      "schema.ts",
      "ticks.ts",
    ]);
    const modules = await loadConvexModules(FIXTURE_FUNCTIONS_DIR);
    assert.ok(modules.byPath.has("notes"));
    assert.ok(Object.keys(modules.loaders).some((key) => key.includes("_generated")));
    assert.ok("notes" in modules.schema.tables);
  });

  it("refuses a directory without _generated, without a schema, or with a module that fails to load", async function () {
    const data = tempDir("modules");
    try {
      const refused = (pattern: RegExp) => (error: unknown) =>
        error instanceof SidecarError && error.code === "modules_invalid" && pattern.test(error.message);
      await assert.rejects(loadConvexModules(path.join(data.dir, "missing")), refused(/does not exist/));
      fs.writeFileSync(path.join(data.dir, "a.ts"), "export const x = 1;\n");
      await assert.rejects(loadConvexModules(data.dir), refused(/no _generated/));
      fs.mkdirSync(path.join(data.dir, "_generated"));
      fs.writeFileSync(path.join(data.dir, "_generated", "api.ts"), "export const api = {};\n");
      await assert.rejects(loadConvexModules(data.dir), refused(/schema\.ts has no default export/));
      fs.writeFileSync(path.join(data.dir, "broken.ts"), 'throw new Error("broken module");\n');
      await assert.rejects(loadConvexModules(data.dir), refused(/broken\.ts failed to load: Error: broken module/));
    } finally {
      data.cleanup();
    }
  });
});
