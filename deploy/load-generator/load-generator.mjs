// Keeps realistic traffic flowing through the frontend so Jaeger always has traces to browse:
// model routing (cached and not), workflows that reach all four services (a model_inference step on
// the model-router, a data_processing step, progress events to the collaboration-hub through a
// session), and GraphQL. A modest, steady rate; no dependencies but Node 24.
//
//   TARGET_URL=http://frontend:3000 REQUESTS_PER_SECOND=1 node load-generator.mjs
//   node load-generator.mjs --check-heartbeat     # the container's health check
//
// Environment: TARGET_URL (default http://127.0.0.1:3000), REQUESTS_PER_SECOND (default 1, at most
// 20), REQUEST_TIMEOUT_MS (default 10000), MAX_REQUESTS (stop after that many; default: run until
// SIGTERM), HEARTBEAT_FILE (touched after every request; default /tmp/load-generator.heartbeat),
// HEARTBEAT_MAX_AGE_MS (for --check-heartbeat; default 60000).
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

const MODELS = ['stub-small', 'stub-medium', 'stub-large'];
const PROMPTS = [
  'Summarise the quarterly report in three bullet points',
  'Translate "good morning" into French',
  'Suggest a name for a build pipeline',
  'Explain distributed tracing to a new engineer',
];

/** The n-th request of the mix: mostly routes, a workflow every fourth, GraphQL every fifth. */
export function buildRequest(n, baseUrl) {
  const model = MODELS[n % MODELS.length];
  // A small prompt set on purpose: repeats hit the frontend's Redis cache, fresh ones do not.
  const prompt = PROMPTS[n % PROMPTS.length];
  if (n % 5 === 4) {
    return {
      name: 'graphql',
      url: `${baseUrl}/graphql`,
      body: { query: 'query Route($m: String!, $p: String!) { route(modelType: $m, prompt: $p) { modelType tokensUsed cached } }', variables: { m: model, p: prompt } },
    };
  }
  if (n % 4 === 3) {
    return {
      name: 'workflow',
      url: `${baseUrl}/api/workflow/execute`,
      body: {
        workflow_type: 'load-generator',
        // A session makes the orchestrator publish progress to the collaboration-hub: four services in one trace.
        session_id: `load-session-${n % 3}`,
        input_data: { topic: prompt },
        steps: [
          { type: 'model_inference', name: 'draft', model_type: model, prompt_template: 'Write one sentence about {topic}', output_key: 'draft' },
          { type: 'data_processing', name: 'count', operation: 'word_count', input_key: 'draft', output_key: 'words' },
        ],
      },
    };
  }
  return { name: 'route', url: `${baseUrl}/api/route`, body: { model_type: model, prompt } };
}

export function readSettings(env = process.env) {
  const rate = Math.min(20, Math.max(0.05, Number(env.REQUESTS_PER_SECOND ?? 1) || 1));
  const max = env.MAX_REQUESTS === undefined || env.MAX_REQUESTS === '' ? Infinity : Math.max(0, Number(env.MAX_REQUESTS) || 0);
  return {
    baseUrl: (env.TARGET_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    intervalMs: Math.round(1000 / rate),
    timeoutMs: Number(env.REQUEST_TIMEOUT_MS ?? 10_000) || 10_000,
    maxRequests: max,
    heartbeatFile: env.HEARTBEAT_FILE ?? '/tmp/load-generator.heartbeat',
    heartbeatMaxAgeMs: Number(env.HEARTBEAT_MAX_AGE_MS ?? 60_000) || 60_000,
  };
}

function touch(file) {
  try {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      writeFileSync(file, '');
    }
  } catch {
    // A read-only /tmp only costs the health check, never the traffic.
  }
}

/** Sends requests until `maxRequests` or the signal; resolves with per-outcome counts. */
export async function run(settings, { signal, log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const counts = { ok: 0, failed: 0 };
  for (let n = 0; n < settings.maxRequests && !signal?.aborted; n += 1) {
    const request = buildRequest(n, settings.baseUrl);
    const started = Date.now();
    let status = 'error';
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await response.arrayBuffer();
      status = String(response.status);
      if (response.ok) counts.ok += 1;
      else counts.failed += 1;
    } catch (error) {
      counts.failed += 1;
      status = error instanceof Error ? error.name : 'error';
    }
    touch(settings.heartbeatFile);
    log(JSON.stringify({ request: request.name, status, ms: Date.now() - started }));
    const wait = settings.intervalMs - (Date.now() - started);
    if (wait > 0 && n + 1 < settings.maxRequests) await sleep(wait, undefined, { signal }).catch(() => {});
  }
  return counts;
}

/** Exit code of the health check: 0 when the heartbeat is younger than the limit. */
export function heartbeatIsFresh(file, maxAgeMs, now = Date.now()) {
  try {
    return now - statSync(file).mtimeMs <= maxAgeMs;
  } catch {
    return false;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const settings = readSettings();
  if (process.argv.includes('--check-heartbeat')) {
    process.exit(heartbeatIsFresh(settings.heartbeatFile, settings.heartbeatMaxAgeMs) ? 0 : 1);
  }
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => controller.abort());
  touch(settings.heartbeatFile);
  const counts = await run(settings, { signal: controller.signal });
  process.stdout.write(`${JSON.stringify({ done: true, ...counts })}\n`);
}
