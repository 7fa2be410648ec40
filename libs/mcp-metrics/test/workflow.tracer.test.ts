import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowTracer } from '../src/index';
import type { WorkflowStep } from '../src/index';
import { allMetricAttributes, histogramPoints, instrumentKind, metricNamed, startOtelHarness, sumPoints } from './support/otel-test.harness';
import type { OtelHarness } from './support/otel-test.harness';

const WORKFLOW_ID = 'wf-7f3c2a91-run';

const STEPS: WorkflowStep[] = [
  { name: 'summarise the customer complaint', type: 'model_inference', index: 0 },
  { name: 'strip signatures', type: 'data_processing', index: 1 },
];

let otel: OtelHarness;
let tracer: WorkflowTracer;

beforeAll(() => {
  otel = startOtelHarness();
  tracer = new WorkflowTracer();
});
afterAll(async () => {
  await otel.shutdown();
});
beforeEach(async () => {
  await otel.reset();
});

async function runWorkflow(workflowTracer: WorkflowTracer, steps: WorkflowStep[]): Promise<{ completed_steps: number }> {
  return workflowTracer.traceWorkflowExecution(WORKFLOW_ID, 'content_pipeline', steps, async () => {
    for (const step of steps) {
      await workflowTracer.traceWorkflowStep(WORKFLOW_ID, step, async () => {
        await Promise.resolve();
        trace.getTracer('test').startSpan(`client call for ${step.type}`).end();
      });
    }
    return { completed_steps: steps.length };
  });
}

describe('WorkflowTracer spans', () => {
  it('nests workflow_step_<type> spans and their client calls under workflow_execution', async () => {
    await runWorkflow(tracer, STEPS);

    const spans = otel.spans();
    const execution = spans.find((span) => span.name === 'workflow_execution');
    const steps = spans.filter((span) => span.name.startsWith('workflow_step_'));
    expect(execution?.kind).toBe(SpanKind.INTERNAL);
    expect(execution?.instrumentationScope.name).toBe('workflow-executor');
    expect(execution?.attributes).toEqual({
      'mcp.workflow_id': WORKFLOW_ID,
      'mcp.workflow_type': 'content_pipeline',
      'mcp.workflow_steps': 2,
      'mcp.operation': 'workflow_execution',
      'mcp.service': 'workflow-orchestrator',
      'mcp.workflow_success': true,
      'mcp.workflow_duration_ms': expect.any(Number),
      'mcp.completed_steps': 2,
    });

    expect(steps.map((span) => span.name)).toEqual(['workflow_step_model_inference', 'workflow_step_data_processing']);
    for (const step of steps) {
      expect(step.kind).toBe(SpanKind.INTERNAL);
      expect(step.parentSpanContext?.spanId).toBe(execution?.spanContext().spanId);
      const client = spans.find((span) => span.name === `client call for ${String(step.attributes['mcp.step_type'])}`);
      expect(client?.parentSpanContext?.spanId).toBe(step.spanContext().spanId);
    }
    expect(steps[0]?.attributes).toEqual({
      'mcp.workflow_id': WORKFLOW_ID,
      'mcp.step_name': 'summarise the customer complaint',
      'mcp.step_type': 'model_inference',
      'mcp.step_index': 0,
      'mcp.operation': 'workflow_step',
      'mcp.service': 'workflow-orchestrator',
      'mcp.step_success': true,
      'mcp.step_duration_ms': expect.any(Number),
    });
  });

  it('names step spans by bounded type, never by the free-text step name', async () => {
    const bounded = new WorkflowTracer({ maxAttributeValues: 1 });
    const steps: WorkflowStep[] = Array.from({ length: 200 }, (_, index) => ({
      name: `step #${index} for customer ${index}`,
      type: index % 2 === 0 ? 'external_api' : `custom_type_${index}`,
      index,
    }));
    await runWorkflow(bounded, steps);

    const names = new Set(otel.spans().map((span) => span.name).filter((name) => name.startsWith('workflow_step_')));
    expect([...names].sort()).toEqual(['workflow_step_custom_type_1', 'workflow_step_external_api', 'workflow_step_other']);
    const stepNames = otel.spans().map((span) => span.attributes['mcp.step_name']).filter((name) => name !== undefined);
    expect(stepNames).toHaveLength(200);
  });

  it('takes SERVER as the execution span kind when asked', async () => {
    await new WorkflowTracer({ spanKind: SpanKind.SERVER }).traceWorkflowExecution(WORKFLOW_ID, 'content_pipeline', 0, () => ({}));
    expect(otel.spans()[0]?.kind).toBe(SpanKind.SERVER);
  });
});

describe('WorkflowTracer metrics', () => {
  it('counts and times runs and counts steps by type, with no workflow id anywhere', async () => {
    await runWorkflow(tracer, STEPS);

    const collected = await otel.collect();
    const labels = { 'mcp.workflow_type': 'content_pipeline', 'mcp.service': 'workflow-orchestrator' };
    const executions = metricNamed(collected, 'mcp_workflow_execution_total');
    expect(executions.scope).toBe('workflow-executor');
    expect(executions.metric.descriptor.unit).toBe('{workflow}');
    expect(instrumentKind(executions)).toBe('counter');
    expect(sumPoints(executions)).toEqual([{ attributes: labels, value: 1 }]);

    const duration = metricNamed(collected, 'mcp_workflow_execution_duration_seconds');
    expect(duration.metric.descriptor.unit).toBe('s');
    expect(instrumentKind(duration)).toBe('histogram');
    expect(histogramPoints(duration)).toEqual([
      {
        attributes: labels,
        count: 1,
        boundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
        sum: expect.any(Number),
      },
    ]);

    const steps = metricNamed(collected, 'mcp_workflow_step_total');
    expect(steps.metric.descriptor.unit).toBe('{step}');
    expect(instrumentKind(steps)).toBe('counter');
    // Counted once per step (the seed also added completed_steps per run, counting each step twice).
    expect(sumPoints(steps)).toEqual([
      { attributes: { 'mcp.step_type': 'model_inference', 'mcp.service': 'workflow-orchestrator' }, value: 1 },
      { attributes: { 'mcp.step_type': 'data_processing', 'mcp.service': 'workflow-orchestrator' }, value: 1 },
    ]);

    const active = metricNamed(collected, 'mcp_active_workflows');
    expect(active.metric.descriptor.unit).toBe('{workflow}');
    expect(instrumentKind(active)).toBe('updowncounter');
    expect(sumPoints(active)).toEqual([{ attributes: labels, value: 0 }]);

    const attributes = allMetricAttributes(collected);
    expect(attributes.length).toBeGreaterThan(0);
    for (const set of attributes) {
      expect(Object.keys(set)).not.toContain('mcp.workflow_id');
      expect(Object.keys(set)).not.toContain('mcp.step_name');
      expect(Object.values(set)).not.toContain(WORKFLOW_ID);
    }
  });
});

describe('WorkflowTracer failures', () => {
  it('marks the failing step and its run, and tells them apart by mcp.operation', async () => {
    const failure = Object.assign(new Error('upstream said 503'), { code: 'EXTERNAL_API_UNAVAILABLE' });
    const run = tracer.traceWorkflowExecution(WORKFLOW_ID, 'content_pipeline', STEPS, async () => {
      await tracer.traceWorkflowStep(WORKFLOW_ID, { name: 'call partner', type: 'external_api', index: 0 }, () => {
        throw failure;
      });
      return { completed_steps: 1 };
    });
    await expect(run).rejects.toBe(failure);

    const [step, execution] = otel.spans();
    for (const span of [step, execution]) {
      expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream said 503' });
      expect(span?.attributes['error.type']).toBe('EXTERNAL_API_UNAVAILABLE');
      expect(span?.events.map((event) => event.name)).toEqual(['exception']);
    }
    expect(step?.attributes['mcp.step_success']).toBe(false);
    expect(execution?.attributes['mcp.workflow_success']).toBe(false);

    const collected = await otel.collect();
    const errors = metricNamed(collected, 'mcp_workflow_errors_total');
    expect(errors.metric.descriptor.unit).toBe('{error}');
    expect(sumPoints(errors)).toEqual([
      {
        attributes: {
          'mcp.step_type': 'external_api',
          'mcp.service': 'workflow-orchestrator',
          'error.type': 'EXTERNAL_API_UNAVAILABLE',
          'mcp.operation': 'workflow_step',
        },
        value: 1,
      },
      {
        attributes: {
          'mcp.workflow_type': 'content_pipeline',
          'mcp.service': 'workflow-orchestrator',
          'error.type': 'EXTERNAL_API_UNAVAILABLE',
          'mcp.operation': 'workflow_execution',
        },
        value: 1,
      },
    ]);
    expect(sumPoints(metricNamed(collected, 'mcp_workflow_execution_total'))).toEqual([
      {
        attributes: {
          'mcp.workflow_type': 'content_pipeline',
          'mcp.service': 'workflow-orchestrator',
          'error.type': 'EXTERNAL_API_UNAVAILABLE',
        },
        value: 1,
      },
    ]);
    expect(sumPoints(metricNamed(collected, 'mcp_active_workflows'))[0]?.value).toBe(0);
  });
});
