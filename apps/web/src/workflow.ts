import type { DataProcessingOperation, WorkflowExecuteBody, WorkflowStep } from '@mcp/contracts';

export type StepType = WorkflowStep['type'];

/** DATA_PROCESSING_OPERATIONS of @mcp/contracts (a value import would bundle its gRPC half into the page). */
export const OPERATIONS: readonly DataProcessingOperation[] = ['uppercase', 'lowercase', 'trim', 'word_count', 'char_count', 'extract_keywords', 'summarize', 'template', 'pick'];

/** One step as the form holds it: every field a string, as typed. */
export interface StepDraft {
  type: StepType;
  name: string;
  model_type: string;
  prompt_template: string;
  operation: DataProcessingOperation;
  input_key: string;
  output_key: string;
  template: string;
  keys: string;
  limit: string;
  url: string;
  method: 'GET' | 'POST';
}

export function newStep(type: StepType, index: number, defaultModel = 'stub-small'): StepDraft {
  const base: StepDraft = {
    type,
    name: `${type === 'model_inference' ? 'draft' : type === 'data_processing' ? 'process' : 'fetch'}-${index + 1}`,
    model_type: defaultModel,
    prompt_template: 'Summarise {text}',
    operation: 'extract_keywords',
    input_key: '',
    output_key: '',
    template: '',
    keys: '',
    limit: '3',
    url: 'https://api.github.com/zen',
    method: 'GET',
  };
  return base;
}

/** The workflow a first visit shows: a model answer, then its keywords. */
export function defaultSteps(defaultModel = 'stub-small'): StepDraft[] {
  return [{ ...newStep('model_inference', 0, defaultModel), name: 'draft' }, { ...newStep('data_processing', 1, defaultModel), name: 'keywords' }];
}

const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());

/** The request step of a draft, with the fields of its type only (the schemas are strict). */
export function toStep(draft: StepDraft): WorkflowStep {
  const name = draft.name.trim();
  const output_key = optional(draft.output_key);
  switch (draft.type) {
    case 'model_inference':
      return { type: 'model_inference', name, model_type: draft.model_type.trim(), prompt_template: draft.prompt_template, ...(output_key ? { output_key } : {}) };
    case 'data_processing': {
      const input_key = optional(draft.input_key);
      const limit = optional(draft.limit);
      const keys = draft.keys
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      return {
        type: 'data_processing',
        name,
        operation: draft.operation,
        ...(input_key ? { input_key } : {}),
        ...(output_key ? { output_key } : {}),
        ...(draft.operation === 'template' ? { template: draft.template } : {}),
        ...(draft.operation === 'pick' ? { keys } : {}),
        ...((draft.operation === 'extract_keywords' || draft.operation === 'summarize') && limit !== undefined ? { limit: Number(limit) } : {}),
      };
    }
    case 'external_api':
      return { type: 'external_api', name, url: draft.url.trim(), method: draft.method, timeout_ms: 5_000, ...(output_key ? { output_key } : {}) };
  }
}

export type BuildResult = { ok: true; body: WorkflowExecuteBody } | { ok: false; errors: string[] };

/** The request of the form, or the problems found before sending (the server checks everything again). */
export function buildWorkflowBody(input: { workflowType: string; inputData: string; steps: StepDraft[]; sessionId?: string | undefined; userId?: string | undefined }): BuildResult {
  const errors: string[] = [];
  let inputData: Record<string, unknown> = {};
  if (input.inputData.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(input.inputData);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) errors.push('input data: must be a JSON object');
      else inputData = parsed as Record<string, unknown>;
    } catch {
      errors.push('input data: is not valid JSON');
    }
  }
  if (input.workflowType.trim() === '') errors.push('workflow type: must not be empty');
  if (input.steps.length === 0) errors.push('steps: add at least one step');
  input.steps.forEach((step, i) => {
    if (step.name.trim() === '') errors.push(`step ${i + 1}: name must not be empty`);
    if (step.type === 'data_processing' && step.limit.trim() !== '' && !/^\d+$/.test(step.limit.trim())) errors.push(`step ${i + 1}: limit must be a whole number`);
  });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: {
      workflow_type: input.workflowType.trim(),
      steps: input.steps.map(toStep),
      input_data: inputData,
      ...(input.sessionId ? { session_id: input.sessionId } : {}),
      ...(input.userId ? { user_id: input.userId } : {}),
    },
  };
}
