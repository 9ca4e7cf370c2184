// The ledger's functions running on convex-test's engine (patched, see patches/): resolves a
// function path to its registered function, calls it with or without an identity, serves
// http.ts routes, and exposes the store for persistence.
import { convexTest, convexTestEngine, type ConvexTestEngine } from "convex-test";
import { makeFunctionReference, type UserIdentity } from "convex/server";
import type { JSONValue, Value } from "convex/values";
import { loadConvexModules, type ConvexModules } from "./modules";

export type FunctionKind = "query" | "mutation" | "action";

export interface ResolvedFunction {
  /** Canonical path, "module:export". */
  path: string;
  kind: FunctionKind;
  /** Public functions may be called over HTTP; internal ones only by crons and the scheduler. */
  visibility: "public" | "internal";
}

/** One `crons.ts` entry as `cronJobs()` records it. */
export interface CronEntry {
  name: string;
  /** Function path, "module:export". */
  functionPath: string;
  /** Convex-JSON encoded arguments object. */
  args: JSONValue;
  schedule: Record<string, unknown>;
}

export interface LedgerEngine {
  modules: ConvexModules;
  store: ConvexTestEngine;
  /** The function at `path` ("module:export", "module" for the default export), or null. */
  resolve(path: string): ResolvedFunction | null;
  call(fn: ResolvedFunction, args: Record<string, Value>, identity?: Partial<UserIdentity>): Promise<Value>;
  /** Whether convex/http.ts exists. */
  hasHttpRouter: boolean;
  /** Runs the http.ts route for `path` (starting with "/"). */
  fetch(path: string, init: RequestInit, identity?: Partial<UserIdentity>): Promise<Response>;
  crons: CronEntry[];
}

type Registered = {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  isPublic?: boolean;
  isInternal?: boolean;
};

/** "notes.js:add" → { module: "notes", exportName: "add" }; a missing export means "default". */
export function splitFunctionPath(path: string): { module: string; exportName: string } {
  const [modulePart, exportName = "default"] = path.split(":", 2);
  return { module: modulePart.replace(/\.js$/, ""), exportName };
}

export async function createEngine(functionsDir: string): Promise<LedgerEngine> {
  const modules = await loadConvexModules(functionsDir);
  const t = convexTest(modules.schema, modules.loaders);
  const store = convexTestEngine(t);

  const resolve = (path: string): ResolvedFunction | null => {
    const { module, exportName } = splitFunctionPath(path);
    const fn = modules.byPath.get(module)?.[exportName] as Registered | undefined;
    if (typeof fn !== "function" && (typeof fn !== "object" || fn === null)) return null;
    const kind: FunctionKind | null = fn.isQuery
      ? "query"
      : fn.isMutation
        ? "mutation"
        : fn.isAction
          ? "action"
          : null;
    if (kind === null) return null;
    return { path: `${module}:${exportName}`, kind, visibility: fn.isPublic === true ? "public" : "internal" };
  };

  const accessor = (identity?: Partial<UserIdentity>) => (identity ? t.withIdentity(identity) : t);

  const call = async (fn: ResolvedFunction, args: Record<string, Value>, identity?: Partial<UserIdentity>) => {
    const on = accessor(identity);
    switch (fn.kind) {
      case "query":
        return (await on.query(makeFunctionReference<"query">(fn.path), args)) as Value;
      case "mutation":
        return (await on.mutation(makeFunctionReference<"mutation">(fn.path), args)) as Value;
      case "action":
        return (await on.action(makeFunctionReference<"action">(fn.path), args)) as Value;
    }
  };

  return {
    modules,
    store,
    resolve,
    call,
    hasHttpRouter: modules.byPath.get("http")?.default !== undefined,
    fetch: (path, init, identity) => accessor(identity).fetch(path, init),
    crons: readCrons(modules),
  };
}

function readCrons(modules: ConvexModules): CronEntry[] {
  const crons = modules.byPath.get("crons")?.default as
    | { crons?: Record<string, { name: string; args: JSONValue[]; schedule: Record<string, unknown> }> }
    | undefined;
  return Object.entries(crons?.crons ?? {}).map(([name, entry]) => ({
    name,
    functionPath: entry.name,
    args: entry.args[0] ?? {},
    schedule: entry.schedule,
  }));
}
