// Keeps process.nextTick fast across full garbage collections (Node 20's V8).
//
// nextTick makes each tick object with an object literal whose first keys are computed (two internal
// symbols), so the maps its properties move through are made at run time and held only weakly. A
// mark-compact that finds no tick object alive (each lives for microseconds) clears those maps; the next
// tick object makes new ones, and the literal's inline cache counts one more map. After about four full
// collections the cache goes megamorphic for the life of the process, and every nextTick takes the
// runtime's slow path: measured here ~50 → ~450 ns per nextTick, and +40–60 % CPU per request on a proxy's
// request thread, where Node's streams and HTTP code call nextTick many times per request. That was the
// gated proxy's "slow mode" (docs/gateway-benchmark.md): it runs mark-compacts under load, the ungated
// one does not.
//
// Holding one real tick object keeps its maps alive. It is caught through an async hook enabled for that one
// nextTick call, and caught again now and then, so that maps a later generalization makes are held too.
import { createHook } from "node:async_hooks";

let pinned: object | null = null;
let refresh: NodeJS.Timeout | null = null;

const noop = (): void => undefined;

function catchTickObject(): void {
  let caught: object | null = null;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === "TickObject" && caught === null) caught = resource as object;
    },
  });
  hook.enable();
  try {
    process.nextTick(noop);
  } finally {
    hook.disable();
  }
  if (caught !== null) pinned = caught;
}

/** Holds a tick object for the life of the thread (idempotent); refreshes it every `refreshMs`. */
export function pinTickObjectShape(refreshMs = 30_000): void {
  if (refresh !== null) return;
  catchTickObject();
  refresh = setInterval(catchTickObject, refreshMs);
  refresh.unref();
}

/** Whether a tick object is held (for tests). */
export function tickObjectPinned(): boolean {
  return pinned !== null;
}
