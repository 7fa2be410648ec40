import { freePort } from '@mcp/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, stopApps } from './support/app-process';

// GET /ready of each HTTP service, on the real process with its dependencies down: the answer is
// the status and `{"ready":false}`, nothing else; which dependency failed, and how, is in its log.
afterEach(stopApps);

describe('/ready tells the world only whether the service is ready', () => {
  const cases: Array<{ app: string; env: () => Promise<Record<string, string>>; failing: string[] }> = [
    {
      app: 'frontend',
      env: async () => ({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, MODEL_ROUTER_ADDRESS: `127.0.0.1:${await freePort()}`, WORKFLOW_ORCHESTRATOR_URL: `http://127.0.0.1:${await freePort()}`}),
      failing: ['redis', 'model_router', 'orchestrator'],
    },
    { app: 'workflow-orchestrator', env: async () => ({ MODEL_ROUTER_ADDRESS: `127.0.0.1:${await freePort()}` }), failing: ['model_router'] },
    { app: 'collaboration-hub', env: async () => ({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }), failing: ['redis'] },
  ];

  for (const { app, env, failing } of cases) {
    it(`${app}: 503 {"ready":false} while ${failing.join(', ')} ${failing.length > 1 ? 'are' : 'is'} down; the log names ${failing.length > 1 ? 'them' : 'it'} with the error`, { timeout: 60_000 }, async () => {
      const run = await startApp(app, await env());
      expect(run.port, run.output()).toBeDefined();
      const response = await fetch(`http://127.0.0.1:${run.port}/ready`, { signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      expect([response.status, body]).toEqual([503, '{"ready":false}']);
      // The details, in the log: one line when the outcome changes.
      await expect.poll(() => run.output(), { timeout: 5_000 }).toContain('"msg":"not ready"');
      const logged = run
        .output()
        .split('\n')
        .filter((line) => line.includes('"msg":"not ready"'))
        .map((line) => (JSON.parse(line) as { dependencies: Record<string, string> }).dependencies)[0]!;
      for (const name of failing) expect(logged[name], JSON.stringify(logged)).toMatch(/^(error|timeout)/);
      // The figure of RELIABILITY.md.
      console.log(`${app}: /ready ${response.status} ${body} (${body.length} bytes); logged ${JSON.stringify(logged)}`);
    });
  }
});
