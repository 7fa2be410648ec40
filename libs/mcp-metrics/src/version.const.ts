/**
 * Version reported as the instrumentation scope version of every tracer and meter of this lib.
 * Kept by hand in step with package.json (a test checks it): importing package.json would put it
 * outside `rootDir` and into the published output.
 */
export const MCP_METRICS_VERSION = '0.1.0';
