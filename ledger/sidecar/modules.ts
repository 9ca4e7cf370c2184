// Builds convex-test's module map from a convex/ directory at start-up, so the engine runs
// whatever the directory holds. Every module is imported once here: a broken module stops the
// start-up with its name instead of failing the first request that touches it.
import * as fs from "node:fs";
import * as path from "node:path";
import type { SchemaDefinition, GenericSchema } from "convex/server";
import { SidecarError } from "./errors";

/** A module's exports, as `import()` returns them. */
export type ModuleNamespace = Record<string, unknown>;

export interface ConvexModules {
  /** The functions directory, absolute. */
  dir: string;
  /** Module path without extension ("teams", "model/usage", "_generated/api") → exports. */
  byPath: Map<string, ModuleNamespace>;
  /** The map convex-test expects: file key (one contains `_generated`) → loader. */
  loaders: Record<string, () => Promise<ModuleNamespace>>;
  schema: SchemaDefinition<GenericSchema, boolean>;
}

const SOURCE_EXTENSIONS = [".ts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"];

/**
 * Whether a file under the functions directory is a module the engine loads: sources only,
 * without type declarations, tests (`*.test.ts`, `*.spec.ts`) or test setup (`test.setup.ts`,
 * `*.setup.ts`, anything under a `__tests__` folder).
 */
export function isEngineModule(relativePath: string): boolean {
  const parts = relativePath.split(/[\\/]/);
  const base = parts[parts.length - 1];
  if (parts.some((part) => part.startsWith(".") || part === "node_modules" || part === "__tests__")) {
    return false;
  }
  if (!SOURCE_EXTENSIONS.some((ext) => base.endsWith(ext))) return false;
  if (/\.d\.[cm]?ts$/.test(base)) return false;
  if (/\.(test|spec)\.[^.]+$/.test(base)) return false;
  if (/(^|\.)setup\.[^.]+$/.test(base)) return false;
  return true;
}

/** Relative paths (forward slashes) of the engine's modules under `dir`, sorted. */
export function listEngineModules(dir: string): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && isEngineModule(child)) found.push(child);
    }
  };
  walk("");
  return found.sort();
}

/** The module path Convex uses for a file: relative, extension dropped. */
export function modulePathOf(relativeFile: string): string {
  return relativeFile.replace(/\.[^./]+$/, "");
}

export async function loadConvexModules(dirInput: string): Promise<ConvexModules> {
  const dir = path.resolve(dirInput);
  if (!fs.existsSync(dir)) {
    throw new SidecarError("modules_invalid", `functions directory ${dir} does not exist`);
  }
  const files = listEngineModules(dir);
  if (!files.some((file) => file.startsWith("_generated/"))) {
    throw new SidecarError(
      "modules_invalid",
      `${dir} has no _generated/ (run \`npx convex codegen --system-udfs --typecheck disable\`)`,
    );
  }
  const byPath = new Map<string, ModuleNamespace>();
  const loaders: Record<string, () => Promise<ModuleNamespace>> = {};
  for (const file of files) {
    let namespace: ModuleNamespace;
    try {
      // An absolute path (not a file: URL) works both for native import() and for the require()
      // a CommonJS compilation turns it into.
      namespace = (await import(path.join(dir, file))) as ModuleNamespace;
    } catch (error) {
      throw new SidecarError("modules_invalid", `${file} failed to load: ${String(error)}`, { cause: error });
    }
    const modulePath = modulePathOf(file);
    if (byPath.has(modulePath)) {
      throw new SidecarError("modules_invalid", `two files define module "${modulePath}"`);
    }
    byPath.set(modulePath, namespace);
    // A static map of already imported modules: the fastest loader convex-test can have.
    loaders[`${dir}/${file}`] = async () => namespace;
  }
  const schema = byPath.get("schema")?.default;
  if (!isSchema(schema)) {
    throw new SidecarError("modules_invalid", `${dir}/schema.ts has no default export from defineSchema()`);
  }
  return { dir, byPath, loaders, schema };
}

function isSchema(value: unknown): value is SchemaDefinition<GenericSchema, boolean> {
  return typeof value === "object" && value !== null && "tables" in value && "export" in value;
}
