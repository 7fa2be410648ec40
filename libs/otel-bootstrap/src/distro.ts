/**
 * This preload as a distribution of OpenTelemetry (`telemetry.distro.*` on every resource). The version
 * is kept by hand in step with package.json (a test checks it): importing package.json would put it
 * outside the build's rootDir.
 */
export const DISTRO_NAME = 'mcp-otel-bootstrap';
export const BOOTSTRAP_VERSION = '0.1.0';
