/**
 * Issue 7: the web page in real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against the whole system as real processes, exporting to one OTLP receiver.
 * The page's own spans reach the receiver through the frontend's OTLP proxy.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertParentChild, checkParentChild, renderTraceTree } from '@mcp/otlp-receiver';
import type { ReceivedSpan } from '@mcp/otlp-receiver';
import { startSystem } from './support/system';
import type { RunningSystem } from './support/system';

const CHROMIUM = '/usr/bin/chromium';
const JAEGER = 'http://jaeger.example.test:16686';
const SCREENSHOTS = join(__dirname, '..', 'test-results', 'screenshots');
const run = randomUUID().slice(0, 8);

let system: RunningSystem;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function openPage(url = system.frontend.url): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`));
  page.on('console', (message) => {
    if (message.type() === 'error') process.stderr.write(`[page console] ${message.text()}\n`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) process.stderr.write(`[page] ${response.status()} ${response.url()}\n`);
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await page.waitForSelector('#model[data-loaded="true"]', { timeout: 15_000 });
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function traceSpans(traceId: string, until: (spans: ReceivedSpan[]) => boolean, what: string): Promise<ReceivedSpan[]> {
  const of = () => system.receiver.spans().filter((s) => s.traceId === traceId);
  await system.receiver.waitForSpans((s) => s.traceId === traceId && until(of()), { timeoutMs: 20_000, description: what });
  return of();
}

const traceIdOn = async (page: Page, scope: string) => (await page.locator(`${scope} .trace-id`).first().textContent())?.trim() ?? '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: tools/scripts/test.sh installs it (apt-get install chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  system = await startSystem(`web_${run}`, { serviceEnv: { frontend: { WEB_JAEGER_URL: JAEGER } } });
  // Playwright gives every launch a new, empty profile directory (its own --user-data-dir).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await system?.stop();
}, 60_000);

describe('the web page in headless Chromium', () => {
  let promptTraceId = '';

  it('lists the models, sends a prompt and shows the answer, tokens, cached and the trace with its Jaeger link', async () => {
    const page = await openPage();
    const models = await page.locator('#model option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    expect(models).toEqual(expect.arrayContaining(['stub-small', 'stub-medium', 'stub-large']));
    await screenshot(page, '01-page-loaded');

    await page.selectOption('#model', 'stub-small');
    await page.fill('#prompt', `Tell me about otters (${run})`);
    await page.click('#send-prompt');
    await page.waitForSelector('#prompt-result .response', { timeout: 20_000 });
    const answer = (await page.textContent('#prompt-result .response')) ?? '';
    expect(answer.length).toBeGreaterThan(0);
    const facts = await page.locator('#prompt-result dl.facts').innerText();
    expect(facts).toMatch(/Cached\s+no/);
    expect(Number(/Tokens\s+(\d+)/.exec(facts)?.[1])).toBeGreaterThan(0);
    promptTraceId = await traceIdOn(page, '#prompt-result');
    expect(promptTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.getAttribute('#prompt-result a.jaeger-link', 'href')).toBe(`${JAEGER}/trace/${promptTraceId}`);
    await screenshot(page, '02-prompt-answered');

    // The same prompt again: from the cache.
    await page.click('#send-prompt');
    await expect.poll(() => page.locator('#prompt-result dl.facts').innerText(), { timeout: 20_000 }).toMatch(/Cached\s+yes/);
    await screenshot(page, '03-prompt-cached');
  });

  it('the OTLP receiver holds ONE trace from the browser span through the frontend to the model-router', async () => {
    expect(promptTraceId).not.toBe('');
    const spans = await traceSpans(
      promptTraceId,
      // Complete: the browser's fetch span ends a little after its parent (it waits for resource timing), so it may come in a later batch.
      (ss) => checkParentChild(ss, { serviceName: 'web', name: 'send prompt' }, { serviceName: 'model-router', name: 'model_inference' }, { direct: false }).ok,
      'browser → frontend → model-router',
    );
    const tree = renderTraceTree(spans);
    const root = spans.filter((s) => s.parentSpanId === undefined);
    expect(root.map((s) => `${s.serviceName}: ${s.name}`), tree).toEqual(['web: send prompt']);

    const fetchSpan = assertParentChild(spans, { serviceName: 'web', name: 'send prompt' }, { serviceName: 'web', kind: 'CLIENT' }).child;
    const server = assertParentChild(spans, fetchSpan, (s) => s.serviceName === 'frontend' && s.kind === 'SERVER').child;
    expect(server.attributes['http.route'], tree).toBe('/api/route');
    const grpcClient = assertParentChild(spans, server, (s) => s.serviceName === 'frontend' && s.kind === 'CLIENT' && s.attributes['rpc.system.name'] === 'grpc', { direct: false }).child;
    const grpcServer = assertParentChild(spans, grpcClient, (s) => s.serviceName === 'model-router' && s.kind === 'SERVER').child;
    assertParentChild(spans, grpcServer, { serviceName: 'model-router', name: 'model_inference' }, { direct: false });
    expect(new Set(spans.map((s) => s.serviceName)), tree).toEqual(new Set(['web', 'frontend', 'model-router']));
    // The proxy forwarded the browser's export untraced: no frontend span of the OTLP route anywhere.
    expect(system.receiver.spans().filter((s) => s.serviceName === 'frontend' && String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? '').includes('/otlp/'))).toEqual([]);
  });

  it('runs a workflow while a second browser, joined through the session link, sees its progress live but not the run', async () => {
    // Every page load starts in a private session of its own (128 random bits), not a shared default.
    const ada = await openPage();
    const session = await ada.inputValue('#session-id');
    expect(session).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const join = async (page: Page, name: string) => {
      await page.fill('#session-user', name);
      await page.click('#join-session');
      await page.waitForSelector('#session-status[data-joined="true"]', { timeout: 15_000 });
    };
    await join(ada, 'ada');
    const link = (await ada.getAttribute('#session-link', 'href')) ?? '';
    expect(link).toBe(`${system.frontend.url}/#session=${session}`);
    expect(ada.url()).toBe(link);
    const stranger = await openPage();
    expect(await stranger.inputValue('#session-id')).not.toBe(session);
    // Grace opens ada's link: the page offers ada's session.
    const grace = await openPage(link);
    expect(await grace.inputValue('#session-id')).toBe(session);
    await join(grace, 'grace');
    // Grace has the list from her join's ack; ada is told of grace alone (session:participant_joined).
    await expect.poll(() => ada.locator('#participants li').allTextContents(), { timeout: 15_000 }).toEqual(['ada', 'grace']);
    expect(await grace.locator('#participants li').allTextContents()).toEqual(['ada', 'grace']);

    await grace.fill('#message-text', 'ready when you are');
    await grace.click('#send-message');
    await ada.waitForSelector('#messages li:has-text("ready when you are")', { timeout: 15_000 });

    // Joining is traced too: the browser's send span is the parent of the hub's process span.
    const joinTraceId = await traceIdOn(ada, '#session-status');
    expect(joinTraceId).toMatch(/^[0-9a-f]{32}$/);
    const joinSpans = await traceSpans(
      joinTraceId,
      (ss) => checkParentChild(ss, { serviceName: 'web', name: 'join session' }, { serviceName: 'collaboration-hub', kind: 'CONSUMER', name: 'process session:join' }, { direct: false }).ok,
      'join from the browser to the hub',
    );
    assertParentChild(joinSpans, { serviceName: 'web', kind: 'PRODUCER', name: 'send session:join' }, { serviceName: 'collaboration-hub', kind: 'CONSUMER', name: 'process session:join' });

    // The default workflow (model_inference, then data_processing) plus an external_api-free third step.
    await ada.selectOption('#new-step-type', 'data_processing');
    await ada.click('#add-step');
    await ada.locator('#steps li').nth(2).locator('select[name="operation"]').selectOption('word_count');
    await ada.click('#run-workflow');
    await ada.waitForSelector('#workflow-result .run', { timeout: 30_000 });
    const runId = (await ada.getAttribute('#workflow-result .run', 'data-run-id')) ?? '';
    const progressId = (await ada.getAttribute('#workflow-result .run', 'data-progress-id')) ?? '';
    expect(runId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(progressId).toMatch(/^[0-9a-f]{16}$/);
    expect(await ada.locator('#workflow-result .facts').innerText()).toMatch(/Status\s+completed/);
    expect(await ada.locator('#workflow-result tbody tr').count()).toBe(3);
    const runTraceId = await traceIdOn(ada, '#workflow-result');
    expect(runTraceId).toMatch(/^[0-9a-f]{32}$/);
    await screenshot(ada, '04-workflow-run-ada');

    const progress = grace.locator(`#progress li[data-progress-id="${progressId}"]`);
    await progress.and(grace.locator('[data-status="completed"]')).waitFor({ timeout: 15_000 });
    expect(await progress.innerText()).toContain('3/3');
    expect(await progress.locator('.trace-id').textContent()).toBe(runTraceId);
    expect(await progress.locator('a.jaeger-link').getAttribute('href')).toBe(`${JAEGER}/trace/${runTraceId}`);
    await screenshot(grace, '05-workflow-progress-grace');
    // Grace sees the progress, never the run's id (the capability to read its inputs and outputs).
    expect(await grace.content()).not.toContain(runId);

    // One trace: ada's click, the frontend, the orchestrator's steps, the hub's relay, and grace's browser receiving it.
    const spans = await traceSpans(
      runTraceId,
      (ss) =>
        checkParentChild(ss, { serviceName: 'web', name: 'run workflow' }, { serviceName: 'workflow-orchestrator', name: 'workflow_execution' }, { direct: false }).ok &&
        checkParentChild(ss, { serviceName: 'web', name: 'run workflow' }, { serviceName: 'web', kind: 'CONSUMER', name: 'process workflow:progress' }, { direct: false }).ok,
      'workflow from the browser to the second browser',
    );
    const tree = renderTraceTree(spans);
    expect(spans.filter((s) => s.parentSpanId === undefined).map((s) => `${s.serviceName}: ${s.name}`), tree).toEqual(['web: run workflow']);
    assertParentChild(spans, { serviceName: 'web', name: 'run workflow' }, { serviceName: 'workflow-orchestrator', name: 'workflow_execution' }, { direct: false });
    assertParentChild(spans, { serviceName: 'collaboration-hub' }, { serviceName: 'web', kind: 'CONSUMER', name: 'process workflow:progress' }, { direct: false });
    expect(new Set(spans.map((s) => s.serviceName)), tree).toEqual(new Set(['web', 'frontend', 'workflow-orchestrator', 'model-router', 'collaboration-hub']));

    // Grace leaves: ada's page is told (session:participant_left) and lists ada alone.
    await grace.click('#leave-session');
    await expect.poll(() => ada.locator('#participants li').allTextContents(), { timeout: 15_000 }).toEqual(['ada']);
  });
});
