import { createServer, request } from 'node:http';
import { Agent } from 'node:http';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { checkReadiness, ConfigError, createReadinessProbe, createDrainer, DEVELOPMENT_INTERNAL_API_SECRET, env, httpStatusOfGrpc, listen, parseConfig, productionSecrets } from '../src/index';

describe('parseConfig', () => {
  const schema = z.object({ PORT: env.port(3000), REDIS_URL: env.url(['redis', 'rediss']), RATE: env.ratio(0.5), ALLOW: env.list(), HOST: env.string('0.0.0.0') });

  it('applies defaults and treats empty as unset', () => {
    expect(parseConfig(schema, { PORT: '0' }).PORT).toBe(0);
    const host: string = parseConfig(schema, {}).HOST; // typed string, not string | undefined
    expect(host).toBe('0.0.0.0');
    expect(parseConfig(schema, { PORT: '', ALLOW: 'a.com, b.com' })).toEqual({ PORT: 3000, REDIS_URL: undefined, RATE: 0.5, ALLOW: ['a.com', 'b.com'], HOST: '0.0.0.0' });
  });

  it.each([
    ['true', true],
    ['True', true],
    [' TRUE ', true],
    ['false', false],
    ['1', false],
    ['', false],
    [undefined, false],
  ])('reads the OpenTelemetry switch %j as %j, and never fails on it', (value, expected) => {
    const flags = z.object({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: env.otelFlag() });
    expect(parseConfig(flags, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: value }).OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).toBe(expected);
  });

  it('lists every problem, one line per variable', () => {
    try {
      parseConfig(schema, { PORT: '70000', REDIS_URL: 'http://x', RATE: 'lots' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'PORT: must be a port number (0-65535, 0 = any free port)',
        'REDIS_URL: must be a URL with scheme redis or rediss',
        'RATE: must be a number in [0, 1]',
      ]);
    }
  });
});

describe('productionSecrets', () => {
  const schema = z.object({ NODE_ENV: env.nodeEnv(), SHARED: env.string(DEVELOPMENT_INTERNAL_API_SECRET), KEY: env.string() }).superRefine(productionSecrets('SHARED', 'KEY'));
  const strong = 'a'.repeat(32);
  const problemsOf = (environment: Record<string, string>) => {
    try {
      parseConfig(schema, environment);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('outside production the development default and an unset key are fine', () => {
    expect(parseConfig(schema, {})).toEqual({ NODE_ENV: undefined, SHARED: DEVELOPMENT_INTERNAL_API_SECRET, KEY: undefined });
    expect(parseConfig(schema, { NODE_ENV: 'test', KEY: 'short' }).KEY).toBe('short');
  });

  it('in production refuses unset, committed and short secrets, naming each variable', () => {
    const advice = 'production needs a secret of its own, at least 32 characters (e.g. `openssl rand -hex 32`)';
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([`SHARED: is unset or a development value committed in this repository; ${advice}`, `KEY: is unset or a development value committed in this repository; ${advice}`]);
    expect(problemsOf({ NODE_ENV: 'production', SHARED: DEVELOPMENT_INTERNAL_API_SECRET, KEY: strong })).toEqual([`SHARED: is unset or a development value committed in this repository; ${advice}`]);
    expect(problemsOf({ NODE_ENV: 'production', SHARED: strong, KEY: 'a'.repeat(31) })).toEqual([`KEY: is 31 characters; ${advice}`]);
  });

  it('in production accepts secrets of 32 characters or more', () => {
    expect(parseConfig(schema, { NODE_ENV: 'production', SHARED: strong, KEY: `${strong}b` })).toEqual({ NODE_ENV: 'production', SHARED: strong, KEY: `${strong}b` });
  });
});

describe('checkReadiness', () => {
  it('reports each dependency, bounds a hung one, and is not ready while draining', async () => {
    const report = await checkReadiness(
      { redis: async () => 'PONG', pg: async () => Promise.reject(new Error('connect ECONNREFUSED')), slow: () => new Promise(() => undefined) },
      { timeoutMs: 50, draining: false },
    );
    expect(report).toEqual({ ready: false, dependencies: { redis: 'ok', pg: 'error: connect ECONNREFUSED', slow: 'timeout after 50 ms' } });
    expect(await checkReadiness({ redis: async () => 'PONG' }, { timeoutMs: 50, draining: true })).toEqual({ ready: false, dependencies: { redis: 'ok', process: 'draining' } });
  });
});

describe('createReadinessProbe', () => {
  it('answers { ready } only and logs the details once per change', async () => {
    const logged: Array<[string, unknown, string]> = [];
    const logger = { info: (fields: unknown, message: string) => logged.push(['info', fields, message]), warn: (fields: unknown, message: string) => logged.push(['warn', fields, message]) };
    let pgUp = false;
    const probe = createReadinessProbe({ pg: async () => (pgUp ? 'ok' : Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432'))) }, { timeoutMs: 50, isDraining: () => false, logger: logger as never });
    expect(await probe()).toEqual({ status: 503, body: { ready: false } });
    expect(await probe()).toEqual({ status: 503, body: { ready: false } });
    pgUp = true;
    expect(await probe()).toEqual({ status: 200, body: { ready: true } });
    expect(logged).toEqual([
      ['warn', { dependencies: { pg: 'error: connect ECONNREFUSED 10.0.0.7:5432' } }, 'not ready'],
      ['info', { dependencies: { pg: 'ok' } }, 'ready: every dependency answers'],
    ]);
  });
});

describe('createDrainer', () => {
  it('lets an in-flight request finish, refuses new connections, and closes keep-alive sockets', async () => {
    let release: () => void = () => undefined;
    const server = createServer((req, res) => {
      if (req.url === '/slow') {
        release = () => res.end('slow done');
      } else res.end('fast');
    });
    const drainer = createDrainer(server);
    const port = await listen(server, 0, '127.0.0.1');
    const agent = new Agent({ keepAlive: true });
    const get = (path: string) =>
      new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
        request({ port, path, agent, host: '127.0.0.1' }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
        })
          .on('error', reject)
          .end();
      });
    expect((await get('/fast')).body).toBe('fast'); // leaves an idle keep-alive socket
    const slow = get('/slow');
    await new Promise((r) => setTimeout(r, 50));
    const drained = drainer.drain(10_000);
    await new Promise((r) => setTimeout(r, 50));
    await expect(get('/fast')).rejects.toThrow();
    release();
    expect(await slow).toEqual({ status: 200, body: 'slow done', connection: 'close' });
    await drained;
    expect(server.listening).toBe(false);
    agent.destroy();
  });
});

describe('httpStatusOfGrpc', () => {
  it.each([
    [3, 400],
    [5, 404],
    [4, 504],
    [14, 503],
    [13, 502],
  ])('gRPC %i → HTTP %i', (code, http) => expect(httpStatusOfGrpc(code)).toBe(http));
});
