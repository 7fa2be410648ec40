import { describe, expect, it } from 'vitest';
import {
  describeIssues,
  loadModelRouterProto,
  RouteRequestBody,
  SessionJoinPayload,
  WorkflowExecuteBody,
  WorkflowProgressEvent,
  LIMITS,
} from '../src/index';

const errorsOf = (result: { success: boolean; error?: import('zod').ZodError }) => (result.success ? [] : describeIssues(result.error!));

describe('RouteRequestBody', () => {
  it('accepts a prompt for a model', () => {
    expect(RouteRequestBody.parse({ model_type: 'stub-small', prompt: 'hi', user_id: 'u1' })).toEqual({ model_type: 'stub-small', prompt: 'hi', user_id: 'u1' });
  });

  it.each([
    [{}, ['model_type: Invalid input: expected string, received undefined', 'prompt: Invalid input: expected string, received undefined']],
    [{ model_type: '', prompt: 'x' }, ['model_type: must not be empty']],
    [{ model_type: 'm', prompt: 'x'.repeat(LIMITS.promptChars + 1) }, [`prompt: must be at most ${LIMITS.promptChars} characters`]],
    [{ model_type: 'm', prompt: 'x', extra: 1 }, ['Unrecognized key: "extra"']],
  ])('names each bad field: %j', (body, expected) => {
    expect(errorsOf(RouteRequestBody.safeParse(body))).toEqual(expected);
  });
});

describe('WorkflowExecuteBody', () => {
  const valid = {
    workflow_type: 'summarise',
    steps: [
      { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: 'Summarise {text}' },
      { type: 'data_processing', name: 'count', operation: 'word_count' },
      { type: 'external_api', name: 'notify', url: 'http://127.0.0.1:9/hook' },
    ],
    input_data: { text: 'hello world' },
    session_id: 's1',
  };

  it('accepts the three step types and fills defaults', () => {
    const parsed = WorkflowExecuteBody.parse(valid);
    expect(parsed.steps[2]).toMatchObject({ method: 'GET', timeout_ms: 5000 });
  });

  it('rejects unknown step types, missing operation params and non-http URLs, naming the path', () => {
    const bad = {
      ...valid,
      steps: [
        { type: 'shell', name: 'x' },
        { type: 'data_processing', name: 'tpl', operation: 'template' },
        { type: 'external_api', name: 'ftp', url: 'ftp://example.com/' },
      ],
    };
    const errors = errorsOf(WorkflowExecuteBody.safeParse(bad));
    expect(errors.some((e) => e.startsWith('steps.0'))).toBe(true);
    expect(errors).toContain('steps.1.template: is required for operation template');
    expect(errors).toContain('steps.2.url: must be an http or https URL');
  });

  it('rejects an empty or oversized step list', () => {
    expect(errorsOf(WorkflowExecuteBody.safeParse({ ...valid, steps: [] }))).toEqual(['steps: must have at least one step']);
    expect(errorsOf(WorkflowExecuteBody.safeParse({ ...valid, steps: Array(LIMITS.workflowSteps + 1).fill(valid.steps[1]) }))).toEqual([
      `steps: must have at most ${LIMITS.workflowSteps} steps`,
    ]);
  });
});

describe('events', () => {
  it('validates hub payloads strictly', () => {
    expect(SessionJoinPayload.safeParse({ session_id: 's', user_id: 'u' }).success).toBe(true);
    expect(errorsOf(SessionJoinPayload.safeParse({ session_id: 's' }))).toEqual(['user_id: Invalid input: expected string, received undefined']);
    expect(
      WorkflowProgressEvent.safeParse({ type: 'run.started', progress_id: 'r', workflow_type: 'w', status: 'running', completed_steps: 0, total_steps: 2, at: new Date().toISOString() }).success,
    ).toBe(true);
  });
});

describe('model-router proto', () => {
  it('loads the ModelRouter and Health services with their methods', () => {
    const proto = loadModelRouterProto();
    expect(Object.keys(proto.ModelRouter.service)).toEqual(['Route', 'StreamRoute', 'ListModels']);
    expect(proto.ModelRouter.service.StreamRoute?.responseStream).toBe(true);
    expect(Object.keys(proto.Health.service)).toEqual(['Check', 'Watch']);
    expect(loadModelRouterProto()).toBe(proto);
  });
});
