import type { Participant, SessionMessageBroadcast, WorkflowProgressEvent, WorkflowRun } from '@mcp/contracts';
import { startWebTracing } from '@mcp/otel-web';
import { ApiError, listModels, runWorkflow, sendPrompt } from './api';
import { loadPageConfig } from './config';
import type { PageConfig } from './config';
import { SessionClient } from './session';
import { newSessionId, sessionIdFromHash, sessionLink } from './session-link';
import { StepsEditor } from './steps-editor';
import { traceElement } from './trace-link';
import { buildWorkflowBody, defaultSteps } from './workflow';
import type { StepType } from './workflow';

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string | null, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function dl(rows: Array<[string, string]>): HTMLDListElement {
  const list = el('dl', 'facts');
  for (const [term, value] of rows) list.append(el('dt', null, term), el('dd', null, value));
  return list;
}

function errorBox(config: PageConfig, error: unknown): HTMLElement {
  const box = el('div', 'error');
  box.setAttribute('role', 'alert');
  if (error instanceof ApiError) {
    box.append(el('p', null, el('strong', null, error.status > 0 ? `Failed (${error.status}): ` : 'Not sent: '), error.message));
    if (error.details.length) box.append(el('ul', null, ...error.details.map((d) => el('li', null, d))));
    if (error.traceId) box.append(traceElement(config.jaegerUrl, error.traceId));
  } else {
    box.append(el('p', null, el('strong', null, 'Failed: '), error instanceof Error ? error.message : String(error)));
  }
  return box;
}

async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = original;
  }
}

function renderRun(config: PageConfig, run: WorkflowRun): HTMLElement {
  const box = el('div', `run run-${run.status}`);
  box.dataset['runId'] = run.run_id;
  box.dataset['progressId'] = run.progress_id;
  box.append(
    dl([
      ['Run', run.run_id],
      ['Status', run.status],
      ['Steps completed', `${run.completed_steps} of ${run.steps.length}`],
      ['Duration', run.total_duration_ms !== undefined ? `${Math.round(run.total_duration_ms)} ms` : '—'],
    ]),
  );
  const table = el('table', 'steps-table');
  table.append(el('caption', 'visually-hidden', 'Steps of the run'));
  const head = el('tr', null, ...['#', 'Step', 'Type', 'Status', 'ms'].map((h) => { const th = el('th', null, h); th.scope = 'col'; return th; }));
  table.append(el('thead', null, head));
  const body = el('tbody', null);
  for (const step of run.steps) {
    const row = el('tr', `step-${step.status}`, el('td', null, String(step.index + 1)), el('td', null, step.name), el('td', null, step.type), el('td', null, step.status), el('td', null, step.duration_ms !== undefined ? String(Math.round(step.duration_ms)) : '—'));
    body.append(row);
    if (step.error) body.append(el('tr', 'step-error', Object.assign(el('td', null, step.error), { colSpan: 5 })));
  }
  table.append(body);
  box.append(table);
  if (run.error) box.append(el('p', 'error', run.error));
  if (run.output) {
    const details = el('details', null, el('summary', null, 'Output'), el('pre', 'output', JSON.stringify(run.output, null, 2)));
    details.open = true;
    box.append(details);
  }
  box.append(traceElement(config.jaegerUrl, run.trace_id));
  return box;
}

async function main(): Promise<void> {
  const config = await loadPageConfig();
  const escaped = location.origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  startWebTracing({ serviceName: 'web', collectorUrl: config.collectorUrl, propagateTraceHeaderCorsUrls: [new RegExp(`^${escaped}/`)] });
  $('tracing-status').textContent = config.jaegerUrl ? `Tracing to the collector; traces open in Jaeger at ${config.jaegerUrl}.` : 'Tracing to the collector. Set WEB_JAEGER_URL on the frontend for Jaeger links.';

  // ---- models and prompt ------------------------------------------------------------------
  const modelSelect = $<HTMLSelectElement>('model');
  const steps = new StepsEditor($<HTMLOListElement>('steps'), defaultSteps());
  const promptResult = $('prompt-result');
  listModels()
    .then((models) => {
      modelSelect.replaceChildren(...models.map((m) => new Option(`${m.name} (~${m.typicalLatencyMs} ms)`, m.name)));
      modelSelect.dataset['loaded'] = 'true';
      steps.setModels(models.map((m) => m.name));
    })
    .catch((error: unknown) => {
      modelSelect.replaceChildren(new Option('stub-small', 'stub-small'));
      promptResult.replaceChildren(errorBox(config, error));
    });

  $<HTMLFormElement>('prompt-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const prompt = $<HTMLTextAreaElement>('prompt').value;
    const userId = $<HTMLInputElement>('user-id').value.trim();
    if (prompt.trim() === '') {
      promptResult.replaceChildren(errorBox(config, new Error('write a prompt first')));
      return;
    }
    void busy($<HTMLButtonElement>('send-prompt'), 'Sending…', async () => {
      try {
        const answer = await sendPrompt({ model_type: modelSelect.value, prompt, ...(userId ? { user_id: userId } : {}) });
        promptResult.replaceChildren(
          el('div', 'answer', el('h3', null, 'Answer'), el('p', 'response', answer.response)),
          dl([
            ['Model', answer.model_type],
            ['Tokens', String(answer.tokens_used)],
            ['Cached', answer.cached ? 'yes' : 'no'],
            ['Model time', `${Math.round(answer.processing_time_ms)} ms`],
          ]),
          traceElement(config.jaegerUrl, answer.trace_id),
        );
      } catch (error) {
        promptResult.replaceChildren(errorBox(config, error));
      }
    });
  });

  // ---- session ---------------------------------------------------------------------------
  const participantsList = $<HTMLUListElement>('participants');
  const messagesList = $<HTMLOListElement>('messages');
  const progressList = $<HTMLOListElement>('progress');
  const sessionStatus = $('session-status');
  const progressByRun = new Map<string, HTMLLIElement>();
  const showParticipants = (participants: Participant[]) => participantsList.replaceChildren(...participants.map((p) => el('li', 'chip', p.user_id)));
  const session = new SessionClient(config.hubUrl, {
    onParticipants: showParticipants,
    onMessage: (m: SessionMessageBroadcast) => {
      messagesList.append(el('li', null, el('strong', null, m.user_id), ': ', m.text, ' ', el('time', 'muted', new Date(m.at).toLocaleTimeString())));
      messagesList.lastElementChild?.scrollIntoView({ block: 'nearest' });
    },
    onProgress: (event: WorkflowProgressEvent, traceId) => {
      // Keyed by the run's public progress_id: the room never learns a run's id (the capability to read it).
      let item = progressByRun.get(event.progress_id);
      if (!item) {
        item = el('li', 'progress-run');
        item.dataset['progressId'] = event.progress_id;
        progressByRun.set(event.progress_id, item);
        progressList.prepend(item);
      }
      const meter = el('progress', null);
      meter.max = event.total_steps;
      meter.value = event.completed_steps;
      meter.setAttribute('aria-label', `run ${event.progress_id}: ${event.completed_steps} of ${event.total_steps} steps`);
      const stepText = event.step ? ` — ${event.type === 'step.failed' ? 'failed' : 'done'}: ${event.step.name} (${event.step.type})` : '';
      item.dataset['status'] = event.status;
      item.replaceChildren(
        el('p', null, el('strong', null, event.workflow_type), ` ${event.progress_id.slice(0, 8)} · ${event.status} · ${event.completed_steps}/${event.total_steps}${stepText}`),
        meter,
        traceElement(config.jaegerUrl, traceId),
      );
    },
    onStatus: (text, connected) => {
      sessionStatus.textContent = text;
      sessionStatus.dataset['connected'] = String(connected);
    },
  });
  // Private by default: a new session per page load, unless the page was opened from a session's link.
  $<HTMLInputElement>('session-id').value = sessionIdFromHash(location.hash) ?? newSessionId();
  const sessionShare = $('session-share');
  const sessionUser = $<HTMLInputElement>('session-user');
  if (!sessionUser.value) sessionUser.value = `guest-${crypto.randomUUID().slice(0, 4)}`;
  const sessionNote = $('workflow-session-note');
  const setJoined = (joined: boolean) => {
    $<HTMLButtonElement>('leave-session').disabled = !joined;
    $<HTMLInputElement>('message-text').disabled = !joined;
    $<HTMLButtonElement>('send-message').disabled = !joined;
    sessionNote.textContent = joined ? `Runs are shared live with session “${session.sessionId}”.` : 'Not in a session: progress is not shared.';
  };

  $<HTMLFormElement>('session-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const sessionId = $<HTMLInputElement>('session-id').value.trim();
    const userId = sessionUser.value.trim();
    if (!sessionId || !userId) {
      sessionStatus.textContent = 'Enter a session and a name.';
      return;
    }
    void busy($<HTMLButtonElement>('join-session'), 'Joining…', async () => {
      try {
        const joined = await session.join(sessionId, userId);
        showParticipants(joined.participants);
        sessionStatus.replaceChildren(`In session “${sessionId}” as ${userId}. `, traceElement(config.jaegerUrl, joined.traceId));
        sessionStatus.dataset['joined'] = 'true';
        setJoined(true);
        const link = sessionLink(location.href, sessionId);
        history.replaceState(null, '', link);
        const anchor = $<HTMLAnchorElement>('session-link');
        anchor.href = link;
        anchor.textContent = link;
        sessionShare.hidden = false;
      } catch (error) {
        sessionStatus.textContent = `Could not join: ${error instanceof Error ? error.message : String(error)}`;
        sessionStatus.dataset['joined'] = 'false';
        setJoined(false);
      }
    });
  });
  $<HTMLButtonElement>('leave-session').addEventListener('click', () => {
    void session.leave().then(() => {
      participantsList.replaceChildren();
      sessionStatus.dataset['joined'] = 'false';
      setJoined(false);
      sessionShare.hidden = true;
    });
  });
  $<HTMLFormElement>('message-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('message-text');
    const text = input.value.trim();
    if (!text) return;
    session.sendMessage(text).then(
      () => {
        input.value = '';
      },
      (error: unknown) => {
        sessionStatus.textContent = `Message not sent: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
  });

  // ---- workflow --------------------------------------------------------------------------
  $<HTMLButtonElement>('add-step').addEventListener('click', () => steps.add($<HTMLSelectElement>('new-step-type').value as StepType));
  const workflowResult = $('workflow-result');
  $<HTMLFormElement>('workflow-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const built = buildWorkflowBody({
      workflowType: $<HTMLInputElement>('workflow-type').value,
      inputData: $<HTMLTextAreaElement>('input-data').value,
      steps: steps.value,
      sessionId: session.sessionId,
      userId: session.userId,
    });
    if (!built.ok) {
      workflowResult.replaceChildren(errorBox(config, new ApiError(0, 'fix the workflow first', built.errors)));
      return;
    }
    void busy($<HTMLButtonElement>('run-workflow'), 'Running…', async () => {
      try {
        workflowResult.replaceChildren(renderRun(config, await runWorkflow(built.body)));
      } catch (error) {
        workflowResult.replaceChildren(errorBox(config, error));
      }
    });
  });

  document.body.dataset['ready'] = 'true';
}

main().catch((error: unknown) => {
  const status = document.getElementById('tracing-status');
  if (status) status.textContent = `The page failed to start: ${error instanceof Error ? error.message : String(error)}`;
});
