// A stand-in for apps/workflow-orchestrator (built at the same time, tested by its own suite): a real
// HTTP server on 127.0.0.1 that records what the frontend forwards and answers as told.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowRun } from '@mcp/contracts';

export interface ForwardedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface NextAnswer {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface FakeOrchestrator {
  url: string;
  requests: ForwardedRequest[];
  /** Answers for the next requests to /workflows/*, in order; then the default behaviour. */
  answers: NextAnswer[];
  reset(): void;
  close(): Promise<void>;
}

export function sampleRun(runId: string, extra: Partial<WorkflowRun> = {}): WorkflowRun {
  const now = new Date(0).toISOString();
  return {
    run_id: runId,
    progress_id: `progress-of-${runId}`,
    workflow_type: 'summarise',
    status: 'completed',
    steps: [{ name: 'upper', type: 'data_processing', index: 0, status: 'completed', duration_ms: 1, output: { text: 'HELLO' } }],
    input_data: { text: 'hello' },
    output: { text: 'HELLO' },
    completed_steps: 1,
    total_duration_ms: 1,
    created_at: now,
    updated_at: now,
    ...extra,
  };
}

export async function startFakeOrchestrator(): Promise<FakeOrchestrator> {
  const requests: ForwardedRequest[] = [];
  const answers: NextAnswer[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      if (url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      requests.push({ method: req.method ?? 'GET', url, headers: req.headers, body });
      const next = answers.shift();
      const send = (answer: NextAnswer) => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json; charset=utf-8', ...answer.headers }).end(answer.body);
      };
      let answer: NextAnswer;
      if (next) answer = next;
      else if (req.method === 'POST' && url === '/workflows/execute') answer = { status: 200, body: JSON.stringify(sampleRun('run-1')) };
      else if (req.method === 'GET' && url.startsWith('/workflows/runs/')) {
        const id = decodeURIComponent(url.slice('/workflows/runs/'.length));
        answer = id === 'missing' ? { status: 404, body: JSON.stringify({ error: `no run ${id}` }) } : { status: 200, body: JSON.stringify(sampleRun(id)) };
      } else answer = { status: 404, body: JSON.stringify({ error: 'not found' }) };
      if (answer.delayMs) {
        const timer = setTimeout(() => send(answer), answer.delayMs);
        res.once('close', () => clearTimeout(timer));
      } else send(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answers,
    reset() {
      requests.length = 0;
      answers.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
