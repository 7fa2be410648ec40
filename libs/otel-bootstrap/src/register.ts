/**
 * The preload entry: `node --require @mcp/otel-bootstrap/register app.js` or
 * `node --import @mcp/otel-bootstrap/register app.js`. It must run before any app module is
 * loaded, so that the require hooks of the instrumentations see every library the app loads.
 *
 * This build is CommonJS, and the services run as CommonJS: there every instrumentation works with
 * no loader hook, at a fraction of the start-up cost of the ESM import-in-the-middle hook (see
 * README, "ESM or CommonJS").
 */
import { enableCompileCache } from 'node:module';
import { entryIsEsm } from './esm-check';
import { log } from './log';
import { startTelemetry } from './start';

// V8's on-disk code cache roughly halves the time to load the SDK's many small modules (and the
// app's) on every start after the first. Node's own NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE
// still decide where it lives or whether it is used; an unwritable directory only means no cache.
enableCompileCache?.();

startTelemetry();
if (entryIsEsm()) {
  log('warn', `${process.argv[1]} runs as an ES module: the instrumentations patch require(), so its server and framework spans are not recorded; run it as CommonJS (see the README, "ESM or CommonJS")`);
}
