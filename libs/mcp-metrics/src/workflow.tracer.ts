import { SpanKind, ValueType } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Span, Tracer, UpDownCounter } from '@opentelemetry/api';
import { boundedAttribute, cappedSpanValue, nonNegative } from './bounded-attribute.util';
import type { BoundedAttribute } from './bounded-attribute.util';
import { WORKFLOW_DURATION_BUCKETS_SECONDS } from './histogram-buckets.const';
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_COMPLETED_STEPS,
  ATTR_MCP_OPERATION,
  ATTR_MCP_SERVICE,
  ATTR_MCP_STEP_DURATION_MS,
  ATTR_MCP_STEP_INDEX,
  ATTR_MCP_STEP_NAME,
  ATTR_MCP_STEP_SUCCESS,
  ATTR_MCP_STEP_TYPE,
  ATTR_MCP_WORKFLOW_DURATION_MS,
  ATTR_MCP_WORKFLOW_ID,
  ATTR_MCP_WORKFLOW_STEPS,
  ATTR_MCP_WORKFLOW_SUCCESS,
  ATTR_MCP_WORKFLOW_TYPE,
  MCP_OPERATION_VALUE_WORKFLOW_EXECUTION,
  MCP_OPERATION_VALUE_WORKFLOW_STEP,
  MCP_SERVICE_VALUE_WORKFLOW_ORCHESTRATOR,
  METRIC_MCP_ACTIVE_WORKFLOWS,
  METRIC_MCP_WORKFLOW_ERRORS_TOTAL,
  METRIC_MCP_WORKFLOW_EXECUTION_DURATION_SECONDS,
  METRIC_MCP_WORKFLOW_EXECUTION_TOTAL,
  METRIC_MCP_WORKFLOW_STEP_TOTAL,
  SPAN_NAME_PREFIX_WORKFLOW_STEP,
  SPAN_NAME_WORKFLOW_EXECUTION,
} from './semconv';
import { errorTypeOf, recordSpanFailure, startTimer } from './span-outcome.util';
import type { McpTelemetryOptions } from './telemetry-options.types';
import { telemetryScope } from './telemetry-scope.util';

/** Step types of the seed's `POST /api/workflow/execute`. */
export const KNOWN_WORKFLOW_STEP_TYPES: readonly string[] = ['model_inference', 'data_processing', 'external_api'];

/** Longest step name kept on a span; names come from request bodies. */
const MAX_STEP_NAME_LENGTH = 128;

/** One step of a workflow, as {@link WorkflowTracer.traceWorkflowStep} needs it. */
export interface WorkflowStep {
  /** Caller-chosen step name: free text, recorded on the span only (`mcp.step_name`, capped at 128 chars). */
  name: string;
  /** Step type (`model_inference`, `data_processing`, `external_api`, …): names the span and labels metrics. */
  type: string;
  /** Position of the step in its workflow, from 0 (`mcp.step_index`). */
  index: number;
}

/** The result field the seed's workflow executor returns (snake_case, as on the wire). */
export interface WorkflowExecutionResult {
  /** Number of steps that completed; recorded as `mcp.completed_steps` on the span. */
  completed_steps?: number;
}

/** Per-call options of {@link WorkflowTracer.traceWorkflowExecution}. */
export interface WorkflowExecutionOptions<T> {
  /** Span kind of this call; default: the tracer's `spanKind` option. */
  kind?: SpanKind;
  /**
   * Reads the number of completed steps from the result. Default: `completed_steps` of an object
   * result ({@link WorkflowExecutionResult}). A throwing reader is ignored.
   */
  completedSteps?: (result: T) => number | undefined;
}

/** Options of {@link WorkflowTracer}. */
export interface WorkflowTracerOptions extends McpTelemetryOptions {
  /**
   * Default span kind of `workflow_execution` spans. Default INTERNAL: the Fastify instrumentation
   * already makes the SERVER span of `POST /workflows/execute`; a second SERVER span would count the
   * request twice. Step spans are always INTERNAL.
   */
  spanKind?: SpanKind;
  /** Value of `mcp.service`. Default: `'workflow-orchestrator'`. */
  service?: string;
  /** Step types that never count against `maxAttributeValues`. Default: {@link KNOWN_WORKFLOW_STEP_TYPES}. */
  knownStepTypes?: readonly string[];
}

function defaultCompletedSteps(result: unknown): number | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  return nonNegative((result as Record<string, unknown>)['completed_steps']);
}

/**
 * Business spans and metrics of the workflow orchestrator (seed §4.1): a `workflow_execution` span per
 * run with a `workflow_step_<type>` span per step nested under it, and the `mcp_workflow_*` metrics.
 * The workflow id goes on spans only, never on metrics. Construct once per process.
 */
export class WorkflowTracer {
  private readonly tracer: Tracer;
  private readonly spanKind: SpanKind;
  private readonly service: string;
  private readonly workflowType: BoundedAttribute;
  private readonly stepType: BoundedAttribute;
  private readonly errorType: BoundedAttribute;
  private readonly executionCounter: Counter;
  private readonly executionDuration: Histogram;
  private readonly stepCounter: Counter;
  private readonly errorCounter: Counter;
  private readonly activeWorkflows: UpDownCounter;

  constructor(options: WorkflowTracerOptions = {}) {
    const { tracer, meter, maxValues, errorType } = telemetryScope(options, 'workflow-executor');

    this.tracer = tracer;
    this.spanKind = options.spanKind ?? SpanKind.INTERNAL;
    this.service = options.service ?? MCP_SERVICE_VALUE_WORKFLOW_ORCHESTRATOR;
    this.workflowType = boundedAttribute({ maxValues });
    this.stepType = boundedAttribute({ maxValues, knownValues: options.knownStepTypes ?? KNOWN_WORKFLOW_STEP_TYPES });
    this.errorType = errorType;

    this.executionCounter = meter.createCounter(METRIC_MCP_WORKFLOW_EXECUTION_TOTAL, {
      description: 'Total number of workflow executions',
      unit: '{workflow}',
      valueType: ValueType.INT,
    });
    this.executionDuration = meter.createHistogram(METRIC_MCP_WORKFLOW_EXECUTION_DURATION_SECONDS, {
      description: 'Workflow execution duration in seconds',
      unit: 's',
      advice: { explicitBucketBoundaries: [...WORKFLOW_DURATION_BUCKETS_SECONDS] },
    });
    this.stepCounter = meter.createCounter(METRIC_MCP_WORKFLOW_STEP_TOTAL, {
      description: 'Total number of workflow steps executed',
      unit: '{step}',
      valueType: ValueType.INT,
    });
    this.errorCounter = meter.createCounter(METRIC_MCP_WORKFLOW_ERRORS_TOTAL, {
      description: 'Total number of workflow errors',
      unit: '{error}',
      valueType: ValueType.INT,
    });
    this.activeWorkflows = meter.createUpDownCounter(METRIC_MCP_ACTIVE_WORKFLOWS, {
      description: 'Number of active workflows',
      unit: '{workflow}',
      valueType: ValueType.INT,
    });
  }

  /**
   * Runs a whole workflow inside an active `workflow_execution` span, so the step spans and client
   * calls `fn` makes nest under it. Resolves or rejects as `fn` does.
   *
   * Steps are counted by {@link traceWorkflowStep} only (the seed counted them in both places, which
   * double-counted every step).
   */
  traceWorkflowExecution<T>(
    workflowId: string,
    workflowType: string,
    steps: readonly unknown[] | number,
    fn: (span: Span) => T | Promise<T>,
    options: WorkflowExecutionOptions<T> = {},
  ): Promise<T> {
    const metricAttributes: Attributes = {
      [ATTR_MCP_WORKFLOW_TYPE]: this.workflowType(workflowType),
      [ATTR_MCP_SERVICE]: this.service,
    };
    const spanAttributes: Attributes = {
      [ATTR_MCP_WORKFLOW_ID]: cappedSpanValue(workflowId),
      [ATTR_MCP_WORKFLOW_TYPE]: cappedSpanValue(workflowType),
      [ATTR_MCP_WORKFLOW_STEPS]: typeof steps === 'number' ? steps : steps.length,
      [ATTR_MCP_OPERATION]: MCP_OPERATION_VALUE_WORKFLOW_EXECUTION,
      [ATTR_MCP_SERVICE]: this.service,
    };

    return this.tracer.startActiveSpan(
      SPAN_NAME_WORKFLOW_EXECUTION,
      { kind: options.kind ?? this.spanKind, attributes: spanAttributes },
      async (span: Span): Promise<T> => {
        const elapsedSeconds = startTimer();
        this.activeWorkflows.add(1, metricAttributes);
        try {
          const result = await fn(span);
          const seconds = elapsedSeconds();
          this.executionCounter.add(1, metricAttributes);
          this.executionDuration.record(seconds, metricAttributes);
          span.setAttributes({
            [ATTR_MCP_WORKFLOW_SUCCESS]: true,
            [ATTR_MCP_WORKFLOW_DURATION_MS]: seconds * 1000,
            [ATTR_MCP_COMPLETED_STEPS]: readCompletedSteps(options.completedSteps ?? defaultCompletedSteps, result),
          });
          return result;
        } catch (error) {
          const seconds = elapsedSeconds();
          const errorType = this.errorType(errorTypeOf(error));
          const failedAttributes: Attributes = { ...metricAttributes, [ATTR_ERROR_TYPE]: errorType };
          this.executionCounter.add(1, failedAttributes);
          this.executionDuration.record(seconds, failedAttributes);
          // mcp.operation tells a failed run from a failed step: one failing step that fails its run
          // shows up once per operation, not twice under the same labels.
          this.errorCounter.add(1, { ...failedAttributes, [ATTR_MCP_OPERATION]: MCP_OPERATION_VALUE_WORKFLOW_EXECUTION });
          span.setAttributes({ [ATTR_MCP_WORKFLOW_SUCCESS]: false, [ATTR_MCP_WORKFLOW_DURATION_MS]: seconds * 1000 });
          recordSpanFailure(span, error, errorType);
          throw error;
        } finally {
          this.activeWorkflows.add(-1, metricAttributes);
          span.end();
        }
      },
    );
  }

  /**
   * Runs one step inside an active INTERNAL span named `workflow_step_<type>`, a child of the active
   * (normally `workflow_execution`) span. Resolves or rejects as `fn` does.
   *
   * The span is named by step TYPE, not by step name as in the seed: names come from request bodies,
   * so one span name per name would be unbounded, and span names are what backends group, index and
   * derive metrics by. The name goes in `mcp.step_name`.
   */
  traceWorkflowStep<T>(workflowId: string, step: WorkflowStep, fn: (span: Span) => T | Promise<T>): Promise<T> {
    const stepType = this.stepType(step.type);
    const metricAttributes: Attributes = { [ATTR_MCP_STEP_TYPE]: stepType, [ATTR_MCP_SERVICE]: this.service };
    const spanAttributes: Attributes = {
      [ATTR_MCP_WORKFLOW_ID]: cappedSpanValue(workflowId),
      [ATTR_MCP_STEP_NAME]: cappedSpanValue(step.name, MAX_STEP_NAME_LENGTH),
      [ATTR_MCP_STEP_TYPE]: stepType,
      [ATTR_MCP_STEP_INDEX]: step.index,
      [ATTR_MCP_OPERATION]: MCP_OPERATION_VALUE_WORKFLOW_STEP,
      [ATTR_MCP_SERVICE]: this.service,
    };

    return this.tracer.startActiveSpan(
      `${SPAN_NAME_PREFIX_WORKFLOW_STEP}${stepType}`,
      { kind: SpanKind.INTERNAL, attributes: spanAttributes },
      async (span: Span): Promise<T> => {
        const elapsedSeconds = startTimer();
        try {
          const result = await fn(span);
          this.stepCounter.add(1, metricAttributes);
          span.setAttributes({ [ATTR_MCP_STEP_SUCCESS]: true, [ATTR_MCP_STEP_DURATION_MS]: elapsedSeconds() * 1000 });
          return result;
        } catch (error) {
          const errorType = this.errorType(errorTypeOf(error));
          const failedAttributes: Attributes = { ...metricAttributes, [ATTR_ERROR_TYPE]: errorType };
          this.stepCounter.add(1, failedAttributes);
          this.errorCounter.add(1, { ...failedAttributes, [ATTR_MCP_OPERATION]: MCP_OPERATION_VALUE_WORKFLOW_STEP });
          span.setAttributes({ [ATTR_MCP_STEP_SUCCESS]: false, [ATTR_MCP_STEP_DURATION_MS]: elapsedSeconds() * 1000 });
          recordSpanFailure(span, error, errorType);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }
}

function readCompletedSteps<T>(reader: (result: T) => number | undefined, result: T): number {
  try {
    return nonNegative(reader(result)) ?? 0;
  } catch {
    return 0;
  }
}
