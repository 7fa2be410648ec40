import { executionAsyncResource } from 'node:async_hooks';

/**
 * Keeps one of Node's own `process.nextTick` tick objects alive for the life of the process, so that
 * V8 never collects the hidden classes (maps) tick objects are built with.
 *
 * Node 24 builds each tick object with an object literal whose keys are computed (three symbols, then
 * `callback` and `args`). V8's feedback for defining such a key has no polymorphic state: it holds the
 * first receiver map, and any other map (or that map once collected) turns it megamorphic for good.
 * A tick object lives for one tick, and V8 collects maps no live object has: one full GC while no
 * tick is queued, before TurboFan has compiled `nextTick` (a few after), and the next `nextTick`
 * builds the chain again as new maps. From then on the optimised `nextTick` defines every key
 * through the runtime (`Runtime_DefineKeyedOwnPropertyInLiteral`): ~30 k instructions per Fastify
 * request, in about half of the instrumented servers (their start and warm-up run full GCs; a bare
 * one's seldom do). A live tick object keeps its map, and through the maps' back pointers the whole
 * chain. Under the preload it is made before the app runs: the app's tick objects are built on its
 * chain.
 *
 * A tick object carries the async context frame it was made in (Node's `kAsyncContextFrame` key: a
 * Map of each AsyncLocalStorage to its value). It is kept only when that frame holds no value (none,
 * or only stores left with `undefined`, as `run` leaves them at top level): made inside a context
 * (telemetry started from the app's code in a request, not by the preload), it would keep that
 * context's values alive, and nothing is kept.
 */
let heldTickObject: object | undefined;

export function holdTickObjectMaps(): void {
  process.nextTick(() => {
    const tick: object = executionAsyncResource();
    if (carriesAsyncContextValues(tick)) return;
    heldTickObject = tick;
  });
}

/** The tick object held, if any (for the tests). @internal */
export function heldTickObjectForTests(): object | undefined {
  return heldTickObject;
}

/** Whether a tick object's async context frame holds a value of some AsyncLocalStorage. */
export function carriesAsyncContextValues(tick: object): boolean {
  const frameKey = Object.getOwnPropertySymbols(tick).find((key) => key.description === 'kAsyncContextFrame');
  const frame = frameKey === undefined ? undefined : (tick as Record<symbol, unknown>)[frameKey];
  if (frame === undefined) return false;
  let values: Iterable<unknown>;
  try {
    // Node's frame is a Map of its own realm's making (not `instanceof Map` here), hence the brand check.
    values = Map.prototype.values.call(frame as Map<unknown, unknown>);
  } catch {
    return true; // a frame of another shape than Node 24's: assume it holds values
  }
  for (const value of values) if (value !== undefined) return true;
  return false;
}
