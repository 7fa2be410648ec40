import { DEVELOPMENT_INTERNAL_API_SECRET, env, httpServerTimeoutsEnv, productionSecrets } from '@mcp/service-kit';
import { z } from 'zod';
import { parseAllowlistEntry, type AllowlistEntry } from './services/allowlist';
import { MEMORY_RUN_STORE_DEFAULTS } from './services/memory-run-store';

/** An optional http(s) URL with a default, without a trailing slash. */
const baseUrl = (fallback: string) => env.url(['http', 'https']).transform((value) => (value ?? fallback).replace(/\/+$/, ''));

const allowlist = env.list().transform((entries, ctx): AllowlistEntry[] => {
  const parsed: AllowlistEntry[] = [];
  for (const entry of entries) {
    const result = parseAllowlistEntry(entry);
    if (typeof result === 'string') ctx.addIssue({ code: 'custom', message: result });
    else parsed.push(result);
  }
  return parsed;
});

/** The orchestrator's whole environment, parsed once at start (main.ts); nothing else reads process.env. */
export const ConfigSchema = z.object({
  PORT: env.port(3001),
  HOST: env.string('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  /** `true`: prompt and answer text on the GenAI spans (`gen_ai.input.messages`/`output.messages`); default off. */
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: env.otelFlag(),
  /** model-router gRPC address (host:port). */
  MODEL_ROUTER_ADDRESS: env.hostPort('127.0.0.1:50051'),
  /** Deadline of every Route call of a model_inference step. */
  MODEL_ROUTER_DEADLINE_MS: env.positiveInt(5_000),
  /** Unset: the in-memory run store (runs are lost on restart; the start log warns). */
  MONGODB_URL: env.url(['mongodb', 'mongodb+srv']),
  /** Database of `workflow_runs`; default the one named in MONGODB_URL, else `mcp`. */
  MONGODB_DATABASE: env.string(),
  /** How long a run-store operation may wait for MongoDB (server selection) before the request gets 503. */
  RUN_STORE_TIMEOUT_MS: env.positiveInt(2_000),
  /** How long a run is kept after it was created (MongoDB: a TTL index; in memory: dropped once finished and older). */
  RUN_RETENTION_SECONDS: env.positiveInt(MEMORY_RUN_STORE_DEFAULTS.retentionMs / 1000),
  /** In-memory store only: finished runs kept at most (the oldest go first). */
  MEMORY_RUN_STORE_MAX_RUNS: env.positiveInt(MEMORY_RUN_STORE_DEFAULTS.maxRuns),
  /** In-memory store only: JSON bytes of finished runs kept at most (the oldest go first). */
  MEMORY_RUN_STORE_MAX_BYTES: env.positiveInt(MEMORY_RUN_STORE_DEFAULTS.maxBytes),
  COLLABORATION_HUB_URL: baseUrl('http://127.0.0.1:3002'),
  /** `production` requires INTERNAL_API_SECRET (see productionSecrets). */
  NODE_ENV: env.nodeEnv(),
  /** Shared secret of the hub's internal endpoint (`x-internal-secret`); the development one when unset, outside production. */
  INTERNAL_API_SECRET: env.string(DEVELOPMENT_INTERNAL_API_SECRET),
  /** Timeout of one progress event POST to the hub; also how long a response waits for the last events. */
  HUB_EVENT_TIMEOUT_MS: env.positiveInt(2_000),
  /** Hosts (`api.example.com`, any port) or `host:port` pairs external_api steps may call. Empty: none. */
  EXTERNAL_API_ALLOWLIST: allowlist,
  /** How long a request replaying a running run of another instance waits for it to finish. */
  IDEMPOTENT_REPLAY_WAIT_MS: env.positiveInt(30_000),
  /** Bound of each /ready dependency check. */
  READY_TIMEOUT_MS: env.positiveInt(1_000),
  /** How long shutdown lets in-flight requests finish before closing their connections. */
  DRAIN_TIMEOUT_MS: env.positiveInt(5_000),
  /** HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS, HTTP_TIMEOUTS_CHECK_INTERVAL_MS (service-kit). */
  ...httpServerTimeoutsEnv,
}).superRefine(productionSecrets('INTERNAL_API_SECRET'));
export type Config = z.infer<typeof ConfigSchema>;

export function usesDefaultSecret(config: Config): boolean {
  return config.INTERNAL_API_SECRET === DEVELOPMENT_INTERNAL_API_SECRET;
}
