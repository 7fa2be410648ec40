/**
 * The four app images, built from deploy/docker/Dockerfile with buildah (no daemon) and run as
 * containers, as issue 13 asks of CI:
 *
 * - built on the real `node:24.21.0-bookworm-slim` where it can be pulled, else (here: no registry
 *   is reachable) on a locally assembled STAND-IN of it (scripts/ensure-image-base.sh), which the
 *   output says plainly; the four builds share the cached layers of the common stages;
 * - each image's size and its app layers' size over the base, reported (BENCHMARKS.md, "Image sizes");
 * - what an image holds: no devDependency, no TypeScript source, no test file;
 * - each image run as a container with its own ENTRYPOINT, CMD, USER and WORKDIR: its own HEALTHCHECK
 *   command passes, its process runs as uid 1000 and cannot write its code, a request crosses
 *   images (frontend → model-router; frontend → orchestrator → model-router and hub) as one trace
 *   in an OTLP receiver, and SIGTERM through tini ends each with exit 0 within its shutdown budget
 *   with every span flushed.
 *
 * The storage (buildah's, outside the repository) is kept between runs: the stand-in and the layer
 * cache; each run removes the containers of earlier runs and, once its builds are done, every image
 * they did not use, so repeated runs do not fill the disk.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { assertParentChild, renderTraceTree, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@mcp/otlp-receiver';
import { freePort } from '@mcp/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildah, ensureBase, lockStorage, REPO_ROOT, run, STATE_DIR } from './support/buildah';
import { healthcheckCommand, imageConfig, layerSizes, processIds, startContainer, type Container, type ImageConfig } from './support/containers';

const { readApps } = require(join(REPO_ROOT, 'deploy/docker/app-facts.cjs')) as { readApps(): Record<string, { port: number }> };
const APPS = Object.keys(readApps());
const MB = 1_000_000;
/** BENCHMARKS.md's goal for what an app adds to the base image. */
const GOAL_OVER_BASE = 60 * MB;

const version = (app: string): string => (JSON.parse(readFileSync(join(REPO_ROOT, 'apps', app, 'package.json'), 'utf8')) as { version: string }).version;
const tagOf = (app: string): string => `localhost/mcp-image-checks/${app}:${version(app)}`;
const log = (line: string): void => {
  process.stdout.write(`image-checks: ${line}\n`);
};

const seconds = (since: bigint): string => (Number(process.hrtime.bigint() - since) / 1e9).toFixed(0);

let lock: { release(): void } | undefined;
let base = '';
const configs = new Map<string, ImageConfig>();

/** Image ids a build printed (`--> <id>`, `--> Using cache <id>`): the layers the current sources use. */
function idsOf(buildOutput: string): string[] {
  return [...buildOutput.matchAll(/^--> (?:Using cache )?([0-9a-f]{11,64})$/gm)].map((m) => m[1]!);
}

beforeAll(async () => {
  const waiting = process.hrtime.bigint();
  lock = await lockStorage();
  log(`storage lock taken after ${seconds(waiting)} s`);
  const { image, said } = await ensureBase();
  base = image;
  log(said);
  // Containers of an earlier, interrupted run.
  await buildah(['rm', '--all'], { allowFailure: true });
  const used = new Set<string>();
  for (const app of APPS) {
    const started = process.hrtime.bigint();
    // The build context is the repository root; .dockerignore keeps what the host built or installed out.
    const result = await buildah([
      'bud', '--layers', '--format', 'docker', '--isolation', 'chroot', '--network', 'host', '--pull-never',
      '--build-arg', `NODE_IMAGE=${base}`, '--build-arg', `APP=${app}`,
      '-f', 'deploy/docker/Dockerfile', '-t', tagOf(app), '.',
    ]);
    for (const id of idsOf(result.stdout + result.stderr)) used.add(id);
    configs.set(app, await imageConfig(tagOf(app)));
    log(`built ${tagOf(app)} on ${base} in ${seconds(started)} s`);
  }
  // Every image these builds did not use: earlier builds' layers, stale tags, interrupted runs.
  const cleaning = process.hrtime.bigint();
  const { stdout } = await buildah(['images', '--all', '--json']);
  const ours = new Set([base, ...APPS.map(tagOf)]);
  const kept = (id: string, names: string[] | null) => names?.some((n) => ours.has(n)) || [...used].some((u) => id.startsWith(u) || u.startsWith(id));
  // No id read from the builds' output (its format changed?): remove nothing rather than the whole cache.
  const stale = used.size === 0 ? [] : (JSON.parse(stdout) as Array<{ id: string; names: string[] | null }>).filter((i) => !kept(i.id, i.names)).map((i) => i.id);
  for (const id of stale) await buildah(['rmi', '--force', id], { allowFailure: true });
  const du = await run('du', ['-sh', join(STATE_DIR, 'storage')], { allowFailure: true });
  log(`storage: ${du.stdout.split('\t')[0]} in ${STATE_DIR} after removing ${stale.length} unused images (${seconds(cleaning)} s)`);
}, 3_600_000);

afterAll(() => lock?.release());

describe('image sizes', () => {
  it('reports each image and its app layers over the base', async () => {
    const sizes = layerSizes();
    const baseLayers = new Set((await imageConfig(base)).diffIds);
    const report = APPS.map((app) => {
      const config = configs.get(app)!;
      const total = config.diffIds.reduce((sum, id) => sum + (sizes.get(id) ?? 0), 0);
      const appLayers = config.diffIds.filter((id) => !baseLayers.has(id));
      const over = appLayers.reduce((sum, id) => sum + (sizes.get(id) ?? 0), 0);
      // Which instruction made which layer (history entries without empty_layer, in layer order).
      const steps = config.history.filter((h) => !h.empty_layer).slice(-appLayers.length);
      const layers = appLayers.map((id, i) => ({ step: (steps[i]?.created_by ?? '').replace(/\s+/g, ' ').slice(0, 100), mb: +((sizes.get(id) ?? 0) / MB).toFixed(1) }));
      return { app, image: tagOf(app), base, totalMb: +(total / MB).toFixed(1), overBaseMb: +(over / MB).toFixed(1), goalMet: over <= GOAL_OVER_BASE, layers };
    });
    for (const r of report) {
      log(`${r.app}: ${r.totalMb} MB, ${r.overBaseMb} MB over the base (goal ≤ ${GOAL_OVER_BASE / MB} MB: ${r.goalMet ? 'met' : 'NOT met'})`);
      for (const layer of r.layers) log(`  ${layer.mb} MB  ${layer.step}`);
    }
    mkdirSync(join(__dirname, '..', 'test-results'), { recursive: true });
    writeFileSync(join(__dirname, '..', 'test-results', 'image-sizes.json'), `${JSON.stringify({ baseIsStandIn: base.startsWith('localhost/mcp-stand-in/'), report }, null, 2)}\n`);
    for (const r of report) expect(r.overBaseMb, r.app).toBeGreaterThan(0);
  });
});

/** Every file under `dir` (relative paths), not following symbolic links. */
function walk(dir: string, root = dir, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, root, out);
    else out.push(relative(root, path));
  }
  return out;
}

/** The lockfile's packages by install path (`node_modules/a/node_modules/b`): the image keeps those paths. */
function lockedPackages(): Record<string, { dev?: boolean; link?: boolean }> {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }).packages;
}

describe.each(APPS)('what the %s image holds', (app) => {
  let mount = '';
  let ctr = '';
  let files: string[] = [];
  beforeAll(async () => {
    ctr = (await buildah(['from', '--pull-never', tagOf(app)])).stdout.trim().split('\n').pop()!;
    mount = (await buildah(['mount', ctr])).stdout.trim();
    files = walk(join(mount, 'app'));
  });
  afterAll(async () => {
    if (ctr) await buildah(['rm', ctr], { allowFailure: true });
  });

  it('no devDependency: every installed package is one the lockfile needs for some dependency, none of the build tools', () => {
    const locked = lockedPackages();
    // Package folders only (not the package.json files packages keep in their subfolders).
    const installed = files
      .filter((f) => f.endsWith('/package.json'))
      .map((f) => f.slice(0, -'/package.json'.length))
      .filter((dir) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*$/.test(dir));
    expect(installed.length, 'the production closure').toBeGreaterThan(0);
    expect(installed.filter((dir) => locked[dir] === undefined), 'not in the lockfile at that path').toEqual([]);
    expect(installed.filter((dir) => locked[dir]?.dev), 'dev-only in the lockfile').toEqual([]);
    const names = new Set(installed.map((dir) => dir.slice(dir.lastIndexOf('node_modules/') + 'node_modules/'.length)));
    for (const tool of ['typescript', 'vitest', 'nx', '@nx/js', 'vite', 'tsx', 'eslint', '@mcp/test-kit', '@mcp/otlp-receiver']) {
      expect(names.has(tool), `${tool} in /app`).toBe(false);
    }
    expect(files.filter((f) => /^libs\/(test-kit|otlp-receiver)\//.test(f)), 'test support libraries').toEqual([]);
  });

  it('no TypeScript (sources or declarations: prune-workspace.cjs copies what Node loads), no test file, no build configuration of ours', () => {
    expect(files.filter((f) => /\.[cm]?tsx?$/.test(f))).toEqual([]);
    const ours = files.filter((f) => !f.includes('node_modules/'));
    expect(ours.filter((f) => /(^|\/)(test|src)\//.test(f) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(f))).toEqual([]);
    expect(ours.filter((f) => /(^|\/)(tsconfig[^/]*\.json|vitest\.config\.[cm]?[jt]s|eslint\.config\.[cm]?js|project\.json)$/.test(f))).toEqual([]);
    expect(ours).toContain(`apps/${app}/dist/main.js`);
  });

  it('its code belongs to root and is not writable by others (the app runs as 1000)', () => {
    for (const f of [`apps/${app}/dist/main.js`, 'app.env', 'healthcheck.cjs']) {
      const stat = statSync(join(mount, 'app', f));
      expect({ f, uid: stat.uid, otherWrite: (stat.mode & 0o002) !== 0 }).toEqual({ f, uid: 0, otherWrite: false });
    }
  });
});

async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: { raw: text } };
  }
}

describe('the four images running as containers', () => {
  let receiver: OtlpReceiver;
  const running = new Map<string, Container>();
  const secret = randomBytes(32).toString('hex');
  // The images' shutdown budgets (the preload's defaults, which the images keep): app hooks, then the telemetry flush.
  const APP_SHUTDOWN_MS = 10_000;
  const TELEMETRY_SHUTDOWN_MS = 5_000;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const ports = Object.fromEntries(await Promise.all(APPS.map(async (app) => [app, await freePort()] as const)));
    const url = (app: string) => `http://127.0.0.1:${ports[app]}`;
    const common = {
      HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Every trace kept (the image samples 10 %), and nothing exported before shutdown: each span
      // of the test's requests can only arrive through the flush that SIGTERM starts.
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
      INTERNAL_API_SECRET: secret,
    };
    const env: Record<string, Record<string, string>> = {
      'model-router': {},
      'collaboration-hub': {},
      'workflow-orchestrator': { MODEL_ROUTER_ADDRESS: `127.0.0.1:${ports['model-router']}`, COLLABORATION_HUB_URL: url('collaboration-hub') },
      frontend: {
        MODEL_ROUTER_ADDRESS: `127.0.0.1:${ports['model-router']}`,
        WORKFLOW_ORCHESTRATOR_URL: url('workflow-orchestrator'),
        COLLABORATION_HUB_URL: url('collaboration-hub'),
        USER_HASH_KEY: randomBytes(32).toString('hex'),
      },
    };
    const starting = process.hrtime.bigint();
    for (const app of APPS) {
      const container = await startContainer(tagOf(app), app, ports[app]!, { ...common, PORT: String(ports[app]), ...env[app] });
      running.set(app, container);
      await container.listening(60_000);
    }
    log(`four containers listening after ${seconds(starting)} s`);
  }, 300_000);

  afterAll(async () => {
    for (const container of running.values()) await container.remove();
    await receiver?.close();
  }, 120_000);

  it.each(APPS)("%s: the image's own HEALTHCHECK command passes", async (app) => {
    const command = healthcheckCommand(configs.get(app)!.healthcheck);
    const result = await running.get(app)!.exec(command);
    expect(result.code, `${command.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  });

  it.each(APPS)('%s: runs as uid/gid 1000 (the image says USER 1000:1000), under tini', (app) => {
    expect(configs.get(app)!.user).toBe('1000:1000');
    const { node } = running.get(app)!.processes();
    expect(processIds(node)).toEqual({ uid: [1000, 1000, 1000, 1000], gid: [1000, 1000, 1000, 1000] });
  });

  it.each(APPS)('%s: its user cannot write its own code', async (app) => {
    const script = `
      const fs = require('node:fs');
      const tries = { entry: () => fs.appendFileSync('/app/apps/${app}/dist/main.js', '//'), env: () => fs.appendFileSync('/app/app.env', 'X=1\\n'),
        newFile: () => fs.writeFileSync('/app/apps/${app}/dist/new.js', ''), state: () => fs.writeFileSync('/var/lib/mcp/probe', '') };
      const out = {};
      for (const [k, f] of Object.entries(tries)) { try { f(); out[k] = 'written'; } catch (e) { out[k] = e.code; } }
      console.log(JSON.stringify({ uid: process.getuid(), ...out }));`;
    const result = await running.get(app)!.exec(['/usr/bin/env', 'NODE_OPTIONS=', 'node', '-e', script], { user: configs.get(app)!.user });
    expect(result.code, result.stderr).toBe(0);
    // /var/lib/mcp is the one directory it may write (state that outlives the process).
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toEqual({ uid: 1000, entry: 'EACCES', env: 'EACCES', newFile: 'EACCES', state: 'written' });
  });

  it('a request crosses images as one trace; SIGTERM through tini: exit 0 within the shutdown budget, every span flushed', async () => {
    const frontend = `http://127.0.0.1:${running.get('frontend')!.port}`;
    const routed = await postJson(`${frontend}/api/route`, { model_type: 'stub-small', prompt: 'Tell me about otters', user_id: 'image-check' });
    expect(routed.status, JSON.stringify(routed.body)).toBe(200);
    const workflow = await postJson(`${frontend}/api/workflow/execute`, {
      workflow_type: 'summarise',
      session_id: `image-check-${randomBytes(4).toString('hex')}`,
      input_data: { text: 'Otters hold hands while they sleep.' },
      steps: [
        { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' },
        { type: 'data_processing', name: 'count', operation: 'word_count' },
      ],
    });
    expect(workflow.status, JSON.stringify(workflow.body)).toBe(200);
    const routeTrace = String(routed.body['trace_id']);
    const workflowTrace = String(workflow.body['trace_id']);
    expect(receiver.spans().filter((s) => s.traceId === routeTrace || s.traceId === workflowTrace), 'exported before shutdown').toEqual([]);

    // SIGTERM to tini (the container's init), which forwards it to node; front to back, as a rollout drains.
    for (const app of ['frontend', 'workflow-orchestrator', 'collaboration-hub', 'model-router']) {
      const container = running.get(app)!;
      process.kill(container.processes().tini, 'SIGTERM');
      const code = await container.exited(APP_SHUTDOWN_MS + TELEMETRY_SHUTDOWN_MS);
      expect(code, `${app} exit code\n${container.output().slice(-3000)}`).toBe(0);
    }

    const spans = receiver.spans();
    const tree = (traceId: string) => renderTraceTree(spans.filter((s) => s.traceId === traceId));
    const server = (service: string, traceId: string) => (s: ReceivedSpan) => s.traceId === traceId && s.serviceName === service && s.kind === 'SERVER';
    const client = (service: string, traceId: string) => (s: ReceivedSpan) => s.traceId === traceId && s.serviceName === service && s.kind === 'CLIENT';
    // frontend → model-router: the router's server span is the child of the frontend's gRPC client span.
    assertParentChild(spans, client('frontend', routeTrace), server('model-router', routeTrace));
    expect(spans.filter((s) => s.traceId === routeTrace && s.parentSpanId === undefined), tree(routeTrace)).toHaveLength(1);
    // frontend → orchestrator → model-router and → hub, one trace.
    assertParentChild(spans, client('frontend', workflowTrace), server('workflow-orchestrator', workflowTrace));
    assertParentChild(spans, client('workflow-orchestrator', workflowTrace), server('model-router', workflowTrace));
    assertParentChild(spans, client('workflow-orchestrator', workflowTrace), server('collaboration-hub', workflowTrace));
    expect(spans.filter((s) => s.traceId === workflowTrace && s.parentSpanId === undefined), tree(workflowTrace)).toHaveLength(1);
    // Every span flushed: each one's parent arrived too (a span lost at shutdown leaves an orphan).
    const ids = new Set(spans.map((s) => s.spanId));
    for (const traceId of [routeTrace, workflowTrace]) {
      const orphans = spans.filter((s) => s.traceId === traceId && s.parentSpanId !== undefined && !ids.has(s.parentSpanId));
      expect(orphans, tree(traceId)).toEqual([]);
    }
    log(`trace across images:\n${tree(workflowTrace)}`);
  }, 180_000);
});
