/**
 * The preload entry: `node --require @mcp/otel-bootstrap/register app.js` or
 * `node --import @mcp/otel-bootstrap/register app.mjs`. It must run before any app module is
 * loaded, so that the hooks of the instrumentations see every library the app loads.
 *
 * A CommonJS app is patched through `require()` hooks alone and loads nothing more. When the entry
 * is an ES module, startTelemetry also registers the in-thread ES module hook (esm-hooks.ts), before
 * the entry is imported (see the README, "ESM or CommonJS").
 */
import { enableCompileCache } from 'node:module';
import { startTelemetry } from './start';

// V8's on-disk code cache roughly halves the time to load the SDK's many small modules (and the
// app's) on every start after the first. Node's own NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE
// still decide where it lives or whether it is used; an unwritable directory only means no cache.
enableCompileCache?.();

startTelemetry();
