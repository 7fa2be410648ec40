/**
 * The preload entry: `node --require @mcp/otel-bootstrap/register app.js` or
 * `node --import @mcp/otel-bootstrap/register app.js`. It must run before any app module is
 * loaded, so that the require hooks of the instrumentations see every library the app loads.
 *
 * This build is CommonJS, and the services run as CommonJS: there every instrumentation works with
 * no loader hook, at a fraction of the start-up cost of the ESM import-in-the-middle hook (see
 * README, "ESM or CommonJS").
 */
import { startTelemetry } from './start';

startTelemetry();
