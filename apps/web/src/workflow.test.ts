import { describe, expect, it } from 'vitest';
import { WorkflowExecuteBody } from '@mcp/contracts';
import { buildWorkflowBody, defaultSteps, newStep } from './workflow';
import type { StepType } from './workflow';
import { jaegerTraceUrl } from './trace-link';

const STEP_TYPES: readonly StepType[] = ['model_inference', 'data_processing', 'external_api'];

describe('workflow form', () => {
  it('builds a request the contract accepts from each of the three step types', () => {
    const steps = STEP_TYPES.map((type, i) => newStep(type, i));
    const pick = { ...newStep('data_processing', 3), operation: 'pick' as const, keys: 'response, text' };
    const result = buildWorkflowBody({ workflowType: 'demo', inputData: '{"text":"otters"}', steps: [...steps, pick], sessionId: 'room-1' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(WorkflowExecuteBody.safeParse(result.body).success).toBe(true);
    expect(result.body.session_id).toBe('room-1');
    expect(result.body.steps.map((s) => s.type)).toEqual(['model_inference', 'data_processing', 'external_api', 'data_processing']);
    expect(result.body.steps[3]).toEqual({ type: 'data_processing', name: 'process-4', operation: 'pick', keys: ['response', 'text'] });
  });

  it('the default workflow is valid', () => {
    const result = buildWorkflowBody({ workflowType: 'summarise', inputData: '{"text":"x"}', steps: defaultSteps() });
    expect(result.ok && WorkflowExecuteBody.safeParse(result.body).success).toBe(true);
  });

  it('lists the problems it can see before sending', () => {
    const result = buildWorkflowBody({ workflowType: ' ', inputData: '[1]', steps: [] });
    expect(result).toEqual({ ok: false, errors: ['input data: must be a JSON object', 'workflow type: must not be empty', 'steps: add at least one step'] });
    expect(buildWorkflowBody({ workflowType: 'a', inputData: '{', steps: defaultSteps() })).toEqual({ ok: false, errors: ['input data: is not valid JSON'] });
  });
});

describe('Jaeger links', () => {
  it('links <base>/trace/<id> only for a base URL and a valid trace id', () => {
    const id = '0af7651916cd43dd8448eb211c80319c';
    expect(jaegerTraceUrl('http://localhost:16686/', id)).toBe(`http://localhost:16686/trace/${id}`);
    expect(jaegerTraceUrl(null, id)).toBeNull();
    expect(jaegerTraceUrl('http://j', 'nope')).toBeNull();
  });
});
