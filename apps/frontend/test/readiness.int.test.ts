import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelRouter } from './support/fake-model-router';
import type { FakeModelRouter } from './support/fake-model-router';
import { startFakeOrchestrator } from './support/fake-orchestrator';
import type { FakeOrchestrator } from './support/fake-orchestrator';
import { DATABASE_URL, REDIS_URL, connectStores, http, startFrontend, uniqueSuffix } from './support/frontend-harness';
import type { RunningFrontend, Stores } from './support/frontend-harness';

describe('GET /health and GET /ready', () => {
  const suffix = uniqueSuffix();
  const table = `usage_ledger_ready_${suffix}`;
  let router: FakeModelRouter;
  let orchestrator: FakeOrchestrator;
  let stores: Stores;
  let frontend: RunningFrontend;

  beforeAll(async () => {
    [router, orchestrator, stores] = await Promise.all([startFakeModelRouter(), startFakeOrchestrator(), connectStores()]);
    frontend = await startFrontend({ LOG_LEVEL: 'info', REDIS_URL, DATABASE_URL, LEDGER_TABLE: table, CACHE_KEY_PREFIX: `mcp-test-ready-${suffix}:`, MODEL_ROUTER_ADDRESS: router.address, WORKFLOW_ORCHESTRATOR_URL: orchestrator.url });
  });
  afterAll(async () => {
    await frontend?.close();
    await stores?.dropTable(table);
    await Promise.all([router?.close(), orchestrator?.close(), stores?.close()]);
  });

  it('/health answers without looking at any dependency', async () => {
    router.behaviour.health = 'NOT_SERVING';
    const answer = await http(`${frontend.url}/health`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok' });
    expect(router.healthCalls).toBe(0);
    router.behaviour.health = 'SERVING';
  });

  it('/ready is 200 with every dependency ok', async () => {
    const answer = await http(`${frontend.url}/ready`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ready: true });
    expect(frontend.readinessDetails()).toEqual({ redis: 'ok', postgres: 'ok', model_router: 'ok', orchestrator: 'ok' });
  });

  it('/ready is 503 when the model-router reports NOT_SERVING', async () => {
    router.behaviour.health = 'NOT_SERVING';
    try {
      const answer = await http(`${frontend.url}/ready`);
      expect(answer.status).toBe(503);
      expect(answer.json).toEqual({ ready: false });
      expect(frontend.readinessDetails()?.['model_router']).toBe('error: model-router health is NOT_SERVING');
    } finally {
      router.behaviour.health = 'SERVING';
    }
  });

  it('/ready is 503 while draining, and the log still names every dependency', async () => {
    frontend.setDraining(true);
    try {
      const answer = await http(`${frontend.url}/ready`);
      expect(answer.status).toBe(503);
      expect(answer.json).toEqual({ ready: false });
      expect(frontend.readinessDetails()).toEqual({ redis: 'ok', postgres: 'ok', model_router: 'ok', orchestrator: 'ok', process: 'draining' });
    } finally {
      frontend.setDraining(false);
    }
  });
});
