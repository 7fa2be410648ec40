/**
 * The preload entry: `node --require @mcp/otel-bootstrap/register app.js` or
 * `node --import @mcp/otel-bootstrap/register app.mjs`. It must run before any app module is
 * loaded, so that the hooks of the instrumentations see every library the app loads.
 *
 * A CommonJS app is patched through `require()` hooks alone and loads nothing more. When the entry
 * is an ES module, the in-thread ES module hook (esm-hooks.ts) is registered too, before the entry
 * is imported (see the README, "ESM or CommonJS").
 */
import { enableCompileCache } from 'node:module';
import { startedWithPreload } from './config';
import { entryIsEsm } from './esm-check';
import { describe, log } from './log';
import { load } from './packages';
import { startTelemetry } from './start';

// V8's on-disk code cache roughly halves the time to load the SDK's many small modules (and the
// app's) on every start after the first. Node's own NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE
// still decide where it lives or whether it is used; an unwritable directory only means no cache.
enableCompileCache?.();

const telemetry = startTelemetry();
if (telemetry.enabled && entryIsEsm()) {
  if (!startedWithPreload()) {
    log('warn', `${process.argv[1]} is an ES module that imported @mcp/otel-bootstrap/register itself: its imports were linked before telemetry started, so the libraries it imports are not instrumented; preload it instead: node --import @mcp/otel-bootstrap/register ${process.argv[1]}`);
  }
  try {
    load.esmHooks().registerEsmHooks(load.requireHook().hookedModuleNames);
  } catch (error) {
    log('warn', `ES module instrumentation is off (libraries this app imports are not instrumented): ${describe(error)}`);
  }
}
