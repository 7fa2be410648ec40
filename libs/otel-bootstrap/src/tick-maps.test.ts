import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, REGISTER_PATH } from '../test/support/paths';

/**
 * Runs a script in a fresh Node process (the test runner's own process has AsyncLocalStorage values in
 * every frame), with `tickMaps` the compiled module, and returns what it printed as JSON.
 */
function runFresh(script: string): unknown {
  const modulePath = JSON.stringify(resolve(PROJECT_ROOT, 'dist', 'tick-maps.js'));
  const child = spawnSync(process.execPath, ['-e', `const tickMaps = require(${modulePath}); const { AsyncLocalStorage, executionAsyncResource } = require('node:async_hooks');\n${script}`], { encoding: 'utf8', timeout: 30_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout);
}

describe('the tick object held for process.nextTick', () => {
  it('is one of Node’s tick objects, held only when it carries no value of any AsyncLocalStorage', () => {
    const result = runFresh(`
      const storage = new AsyncLocalStorage();
      storage.run({ request: 1 }, () => tickMaps.holdTickObjectMaps());
      setImmediate(() => {
        const heldFromInside = tickMaps.heldTickObjectForTests() !== undefined;
        // At top level again: run() left the storage set to undefined in the frame.
        tickMaps.holdTickObjectMaps();
        setImmediate(() => {
          const held = tickMaps.heldTickObjectForTests();
          console.log(JSON.stringify({
            heldFromInside,
            keys: Object.getOwnPropertySymbols(held).map((key) => key.description),
            callback: typeof held.callback,
            carriesValues: tickMaps.carriesAsyncContextValues(held),
          }));
        });
      });`);
    expect(result).toEqual({ heldFromInside: false, keys: ['async_id_symbol', 'trigger_async_id_symbol', 'kAsyncContextFrame'], callback: 'function', carriesValues: false });
  });

  it('tells a tick made where an AsyncLocalStorage has a value from one made where none has', () => {
    const result = runFresh(`
      const storage = new AsyncLocalStorage();
      const tickIn = (run) => new Promise((done) => run(() => process.nextTick(() => done(tickMaps.carriesAsyncContextValues(executionAsyncResource())))));
      (async () => {
        const beforeAnyStorage = await tickIn((go) => go());
        const inside = await tickIn((go) => storage.run('a request', go));
        const exited = await tickIn((go) => storage.run('a request', () => storage.exit(go)));
        const nested = await tickIn((go) => storage.run('a request', () => new AsyncLocalStorage().run(1, () => storage.exit(go))));
        console.log(JSON.stringify({ beforeAnyStorage, inside, exited, nested }));
      })();`);
    // exit() makes a frame with the storage set to undefined: no value; the other storage's value is one.
    expect(result).toEqual({ beforeAnyStorage: false, inside: true, exited: false, nested: true });
  });
});

/**
 * V8-level: the state of the feedback of the tick literal's five keys in a child process that warms
 * `nextTick` up, then runs ten full GCs with no tick queued (V8 then collects the tick objects'
 * maps unless one is alive), then ticks again. MEGAMORPHIC is the slow path: every key defined through
 * the runtime from then on. Without the preload the same script must end MEGAMORPHIC, or this Node no
 * longer loses the maps and the held tick object has nothing left to prevent.
 */
describe('process.nextTick after full GCs with no tick queued (V8 feedback, child process)', () => {
  const script = `
    const noop = () => {};
    function ticks(n, then) {
      let left = n;
      (function batch() {
        for (let i = 0; i < 100 && left > 0; i++, left--) process.nextTick(noop);
        setImmediate(left > 0 ? batch : then);
      })();
    }
    ticks(500, () => {
      for (let i = 0; i < 10; i++) globalThis.gc();
      ticks(1000, () => new Function('f', '%DebugPrint(f)')(process.nextTick));
    });`;
  const literalFeedback = (preload: string[]): string[] => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', ...preload, '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, OTEL_SERVICE_NAME: 'tick-maps', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    expect(child.status, child.stderr).toBe(0);
    return [...child.stdout.matchAll(/slot #\d+ DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1] as string);
  };

  it('goes megamorphic without the preload (the slow path this guards against exists on this Node)', () => {
    const states = literalFeedback([]);
    expect(states).toHaveLength(5);
    expect(states).toContain('MEGAMORPHIC');
  });

  it('stays monomorphic with the preload', () => {
    expect(literalFeedback(['--require', REGISTER_PATH])).toEqual(Array(5).fill('MONOMORPHIC'));
  });
});
