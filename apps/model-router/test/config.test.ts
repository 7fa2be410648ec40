import { ConfigError, parseConfig } from '@mcp/service-kit';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.js';

describe('config', () => {
  it('defaults', () => {
    expect(parseConfig(ConfigSchema, {})).toEqual({
      PORT: 50051,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      MODEL_LATENCY_SCALE: 1,
      MODEL_EXTRA_LATENCY_MS: 0,
      MODEL_FAILURE_RATE: 0,
      MODEL_FAILURE_SEED: 1,
      GRPC_DRAIN_TIMEOUT_MS: 5000,
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: false,
      GRPC_MAX_CONNECTION_IDLE_MS: 300000,
      GRPC_KEEPALIVE_TIME_MS: 60000,
      GRPC_KEEPALIVE_TIMEOUT_MS: 20000,
      GRPC_MAX_RECEIVE_MESSAGE_BYTES: 1048576,
      GRPC_MAX_CONCURRENT_STREAMS: 100,
    });
  });

  it.each([
    ['PORT', '0', 0],
    ['PORT', '', 50051],
    ['HOST', '127.0.0.1', '127.0.0.1'],
    ['MODEL_LATENCY_SCALE', '0', 0],
    ['MODEL_LATENCY_SCALE', '2.5', 2.5],
    ['MODEL_EXTRA_LATENCY_MS', '250', 250],
    ['MODEL_FAILURE_RATE', '1', 1],
    ['MODEL_FAILURE_RATE', '0.25', 0.25],
    ['MODEL_FAILURE_SEED', '0', 0],
    ['GRPC_DRAIN_TIMEOUT_MS', '100', 100],
    ['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', 'true', true],
    ['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', 'TRUE', true],
    // An OpenTelemetry switch never stops the service: anything but true is off.
    ['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', 'yes', false],
    ['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', '', false],
  ] as const)('%s=%j → %j', (name, value, expected) => {
    expect(parseConfig(ConfigSchema, { [name]: value })[name]).toBe(expected);
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      parseConfig(ConfigSchema, { PORT: '70000', MODEL_FAILURE_RATE: '2', MODEL_LATENCY_SCALE: '-1', MODEL_EXTRA_LATENCY_MS: 'slow', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    for (const name of ['PORT', 'MODEL_FAILURE_RATE', 'MODEL_LATENCY_SCALE', 'MODEL_EXTRA_LATENCY_MS', 'LOG_LEVEL']) {
      expect(problems.some((p) => p.startsWith(`${name}: `))).toBe(true);
    }
  });
});
