export { ConfigError, parseConfig, loadConfigOrExit, env } from './config.util';
export { createLogger } from './logger';
export type { Logger } from './logger';
export { checkReadiness } from './readiness.util';
export type { DependencyCheck, ReadinessReport } from './readiness.util';
export { listen, createDrainer } from './http-server.util';
export { HttpError, httpStatusOfGrpc, currentTraceId } from './errors';
