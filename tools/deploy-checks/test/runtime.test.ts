import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadModelRouterProto, RouteRequestBody, WorkflowExecuteBody } from '@mcp/contracts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { APPS, repoPath } from './support/repo';

// What the images run, run here for real: the prune script's output starts each app with the
// preload, the healthcheck script answers, the load generator sends valid requests.
const prune = require(repoPath('deploy/docker/prune-workspace.cjs')) as {
  prune(root: string, app: string, out: string): { packages: string[]; workspaces: string[] };
};
const outRoot = mkdtempSync(join(tmpdir(), 'deploy-checks-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
// Four pruned node_modules trees: on a busy shared disk their removal alone can take a minute.
afterAll(() => rmSync(outRoot, { recursive: true, force: true }), 300_000);

function startPruned(dir: string, app: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: join(dir, 'apps', app),
    env: {
      PATH: process.env['PATH'],
      NODE_OPTIONS: '--require @mcp/otel-bootstrap/register',
      OTEL_SERVICE_NAME: app,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
      NODE_COMPILE_CACHE: join(outRoot, 'compile-cache'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${app} did not listen: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const port = (JSON.parse(line) as { port: number }).port;
        clearTimeout(timer);
        resolve({ port, child });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${app} exited ${code}: ${out}`)));
  });
}

/** Runs the health check script as Docker would; asynchronous, so servers in this process can answer it. */
function healthcheck(target: string): Promise<number> {
  const child = spawn(process.execPath, [repoPath('deploy/docker/healthcheck.cjs'), target], { env: { PATH: process.env['PATH'], HEALTHCHECK_TIMEOUT_MS: '3000' }, cwd: repoPath(), stdio: 'ignore' });
  children.push(child);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
}

describe('the production closure of each app (deploy/docker/prune-workspace.cjs)', () => {
  for (const app of APPS) {
    it(`${app.name}: holds no devDependency, and the app starts from it with the preload and answers its health check`, async () => {
      const dir = join(outRoot, app.name);
      const plan = prune.prune(repoPath(), `apps/${app.name}`, dir);
      expect(plan.workspaces.sort()).toEqual(['libs/contracts', 'libs/mcp-metrics', 'libs/otel-bootstrap', 'libs/service-kit']);
      const top = readdirSync(join(dir, 'node_modules'));
      for (const dev of ['vitest', 'typescript', 'nx', 'tsx', 'eslint', 'fast-check', 'socket.io-client']) expect(top).not.toContain(dev);
      expect(readdirSync(join(dir, 'node_modules/@mcp')).sort()).toEqual(['contracts', 'mcp-metrics', 'otel-bootstrap', 'service-kit']);
      for (const lib of plan.workspaces) expect(readdirSync(join(dir, lib))).not.toContain('src');

      const { port } = await startPruned(dir, app.name);
      const target = app.health.replace(String(app.port), String(port));
      expect(await healthcheck(target)).toBe(0);
    });
  }
});

describe('deploy/docker/healthcheck.cjs', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('http: 0 on 2xx, 1 on 503 and on a refused connection', async () => {
    let status = 200;
    server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/health`;
    expect(await healthcheck(url)).toBe(0);
    status = 503;
    expect(await healthcheck(url)).toBe(1);
    expect(await healthcheck('http://127.0.0.1:9/health')).toBe(1);
    expect(await healthcheck('not a url')).toBe(2);
  });

  it('grpc: 0 when grpc.health.v1 says SERVING, 1 when NOT_SERVING', async () => {
    const { Health } = loadModelRouterProto();
    let answer = 'SERVING';
    const grpcServer = new grpc.Server();
    grpcServer.addService(Health.service, {
      Check: (_call: unknown, callback: (error: null, response: { status: string }) => void) => callback(null, { status: answer }),
      Watch: () => undefined,
    });
    const port = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    try {
      expect(await healthcheck(`grpc://127.0.0.1:${port}/mcp.model_router.v1.ModelRouter`)).toBe(0);
      answer = 'NOT_SERVING';
      expect(await healthcheck(`grpc://127.0.0.1:${port}/mcp.model_router.v1.ModelRouter`)).toBe(1);
    } finally {
      grpcServer.forceShutdown();
    }
  });
});

describe('deploy/load-generator', () => {
  it('sends routes, workflows through a session (all four services) and GraphQL, each a valid request, then stops', async () => {
    const received: Array<{ url: string; body: unknown }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body: JSON.parse(body) as unknown });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { run, readSettings } = (await import(repoPath('deploy/load-generator/load-generator.mjs'))) as {
        run(s: unknown, o: { log(): void }): Promise<{ ok: number; failed: number }>;
        readSettings(env: Record<string, string>): unknown;
      };
      const settings = readSettings({ TARGET_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`, REQUESTS_PER_SECOND: '20', MAX_REQUESTS: '10', HEARTBEAT_FILE: join(outRoot, 'heartbeat') });
      expect(await run(settings, { log: () => undefined })).toEqual({ ok: 10, failed: 0 });
    } finally {
      server.close();
    }
    const byPath = (path: string) => received.filter((r) => r.url === path).map((r) => r.body);
    expect(byPath('/api/route').length).toBeGreaterThan(0);
    for (const body of byPath('/api/route')) expect(RouteRequestBody.safeParse(body).success).toBe(true);
    const workflows = byPath('/api/workflow/execute');
    expect(workflows.length).toBeGreaterThan(0);
    for (const body of workflows) {
      const parsed = WorkflowExecuteBody.safeParse(body);
      expect(parsed.success).toBe(true);
      expect(parsed.data?.session_id).toBeTruthy();
      expect(parsed.data?.steps.some((s) => s.type === 'model_inference')).toBe(true);
    }
    expect(byPath('/graphql').length).toBeGreaterThan(0);
  });
});
