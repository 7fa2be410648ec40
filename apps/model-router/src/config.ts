import { env } from '@mcp/service-kit';
import { z } from 'zod';

// An empty variable counts as unset, as in service-kit's own builders.
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

const nonNegativeNumber = (fallback: number, max: number) =>
  z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: `must be a number in [0, ${max}]` })
      .min(0, `must be a number in [0, ${max}]`)
      .max(max, `must be a number in [0, ${max}]`)
      .default(fallback),
  );

const nonNegativeInt = (fallback: number, max: number) =>
  z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: `must be an integer in [0, ${max}]` })
      .int(`must be an integer in [0, ${max}]`)
      .min(0, `must be an integer in [0, ${max}]`)
      .max(max, `must be an integer in [0, ${max}]`)
      .default(fallback),
  );

/** The model-router's environment. Parsed once, in main.ts; nothing else reads process.env. */
export const ConfigSchema = z.object({
  /** gRPC port; 0 binds a free one (the bound port is logged). */
  PORT: env.port(50051),
  /** Interface to bind; 0.0.0.0 in containers, 127.0.0.1 in tests. */
  HOST: env.string('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  /** `true`: prompt and answer text on the GenAI spans (`gen_ai.input.messages`/`output.messages`); default off. */
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: env.otelFlag(),
  /** Multiplies every model's simulated latency (base + per token); 0 answers at once. */
  MODEL_LATENCY_SCALE: nonNegativeNumber(1, 1000),
  /** Added to every inference before the first token, after scaling (fault injection). */
  MODEL_EXTRA_LATENCY_MS: nonNegativeInt(0, 600_000),
  /** Share of inferences that fail with UNAVAILABLE (fault injection); 0 never, 1 always. */
  MODEL_FAILURE_RATE: env.ratio(0),
  /** Seed of the failure draws, so a run with a given rate fails the same calls every time. */
  MODEL_FAILURE_SEED: nonNegativeInt(1, 2 ** 32 - 1),
  /** How long shutdown waits for in-flight calls (tryShutdown) before cancelling them (forceShutdown). */
  GRPC_DRAIN_TIMEOUT_MS: env.positiveInt(5_000),
  // Connection bounds, set deliberately (grpc-js would keep an idle or silent connection forever and
  // never ping): see grpcServerOptions in app.ts.
  /** A connection with no call for this long is closed (GOAWAY), including one that never sent anything. */
  GRPC_MAX_CONNECTION_IDLE_MS: env.positiveInt(300_000),
  /** The server pings a client after this much silence on a connection… */
  GRPC_KEEPALIVE_TIME_MS: env.positiveInt(60_000),
  /** …and closes the connection if the ping is not answered within this. */
  GRPC_KEEPALIVE_TIMEOUT_MS: env.positiveInt(20_000),
  /** Largest request message; a Route request is a prompt of at most a few hundred KiB. */
  GRPC_MAX_RECEIVE_MESSAGE_BYTES: env.positiveInt(1024 * 1024),
  /** Concurrent calls per connection. */
  GRPC_MAX_CONCURRENT_STREAMS: env.positiveInt(100),
});

export type ModelRouterConfig = z.infer<typeof ConfigSchema>;
