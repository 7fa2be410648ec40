import {
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  valueFromASTUntyped,
} from 'graphql';
import type { GraphQLNullableType, GraphQLType } from 'graphql';
import type { ModelInfo, RouteResponseBody, WorkflowRun, WorkflowStepRecord } from '@mcp/contracts';
import { HttpError } from '@mcp/service-kit';
import type { UpstreamAnswer } from '../clients/orchestrator.client';
import type { UsageTotals } from '../ledger/usage-ledger';
import type { RouteService } from '../services/route.service';
import type { UsageService } from '../services/usage.service';
import type { WorkflowService } from '../services/workflow.service';

export interface GraphqlServices {
  route: RouteService;
  workflows: WorkflowService;
  usage: UsageService;
}

const nonNull = <T extends GraphQLNullableType>(type: T) => new GraphQLNonNull(type);
const listOf = <T extends GraphQLType>(type: T) => new GraphQLList(type);

/** Any JSON value: workflow steps, input data and outputs keep the REST shapes (snake_case inside). */
const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

const ModelType = new GraphQLObjectType({
  name: 'Model',
  fields: {
    name: { type: nonNull(GraphQLString) },
    description: { type: nonNull(GraphQLString) },
    costPer1kTokensUsd: { type: nonNull(GraphQLFloat) },
    typicalLatencyMs: { type: nonNull(GraphQLInt) },
    maxPromptChars: { type: nonNull(GraphQLInt) },
  },
});

const RouteResultType = new GraphQLObjectType({
  name: 'RouteResult',
  fields: {
    modelType: { type: nonNull(GraphQLString) },
    response: { type: nonNull(GraphQLString) },
    tokensUsed: { type: nonNull(GraphQLInt) },
    processingTimeMs: { type: nonNull(GraphQLFloat) },
    cached: { type: nonNull(GraphQLBoolean) },
    timestamp: { type: nonNull(GraphQLString) },
    traceId: { type: GraphQLString },
  },
});

const WorkflowStepType = new GraphQLObjectType({
  name: 'WorkflowStepRecord',
  fields: {
    name: { type: nonNull(GraphQLString) },
    type: { type: nonNull(GraphQLString) },
    index: { type: nonNull(GraphQLInt) },
    status: { type: nonNull(GraphQLString) },
    durationMs: { type: GraphQLFloat },
    output: { type: JsonScalar },
    error: { type: GraphQLString },
  },
});

const WorkflowRunType = new GraphQLObjectType({
  name: 'WorkflowRun',
  fields: {
    runId: { type: nonNull(GraphQLID), description: 'The capability to read the run (128 random bits): answered to its caller only' },
    progressId: { type: GraphQLString, description: "The run's public handle in workflow:progress events; reads nothing" },
    workflowType: { type: nonNull(GraphQLString) },
    status: { type: nonNull(GraphQLString) },
    sessionId: { type: GraphQLString },
    steps: { type: nonNull(listOf(nonNull(WorkflowStepType))) },
    inputData: { type: JsonScalar },
    output: { type: JsonScalar },
    error: { type: GraphQLString },
    completedSteps: { type: nonNull(GraphQLInt) },
    totalDurationMs: { type: GraphQLFloat },
    traceId: { type: GraphQLString },
    createdAt: { type: nonNull(GraphQLString) },
    updatedAt: { type: nonNull(GraphQLString) },
  },
});

const UsageType = new GraphQLObjectType({
  name: 'Usage',
  description: "A user's totals from the usage ledger",
  fields: {
    userId: { type: nonNull(GraphQLID) },
    requests: { type: nonNull(GraphQLInt) },
    tokens: { type: nonNull(GraphQLFloat), description: 'Sum of tokens_used (Float: may exceed 2^31)' },
    costUsd: { type: nonNull(GraphQLFloat) },
    cachedRequests: { type: nonNull(GraphQLInt) },
  },
});

const WorkflowInputType = new GraphQLInputObjectType({
  name: 'WorkflowInput',
  description: 'The body of POST /api/workflow/execute in camelCase; steps and inputData as in REST. Validated with WorkflowExecuteBody.',
  fields: {
    workflowType: { type: nonNull(GraphQLString) },
    steps: { type: nonNull(listOf(nonNull(JsonScalar))) },
    inputData: { type: JsonScalar },
    sessionId: { type: GraphQLString },
    userId: { type: GraphQLString },
    idempotencyKey: { type: GraphQLString, description: 'Passed on as the Idempotency-Key header' },
  },
});

// Root resolvers return objects in the schema's shape, so every nested field is a plain property
// read (the graphql instrumentation makes no span for those).

function toRouteResult(body: RouteResponseBody) {
  return {
    modelType: body.model_type,
    response: body.response,
    tokensUsed: body.tokens_used,
    processingTimeMs: body.processing_time_ms,
    cached: body.cached,
    timestamp: body.timestamp,
    traceId: body.trace_id ?? null,
  };
}

function toModel(model: ModelInfo) {
  return {
    name: model.name,
    description: model.description,
    costPer1kTokensUsd: model.cost_per_1k_tokens_usd,
    typicalLatencyMs: model.typical_latency_ms,
    maxPromptChars: model.max_prompt_chars,
  };
}

function toStep(step: WorkflowStepRecord) {
  return {
    name: step.name,
    type: step.type,
    index: step.index,
    status: step.status,
    durationMs: step.duration_ms ?? null,
    output: step.output ?? null,
    error: step.error ?? null,
  };
}

function toWorkflowRun(run: WorkflowRun) {
  return {
    runId: run.run_id,
    progressId: run.progress_id ?? null,
    workflowType: run.workflow_type,
    status: run.status,
    sessionId: run.session_id ?? null,
    steps: (run.steps ?? []).map(toStep),
    inputData: run.input_data ?? null,
    output: run.output ?? null,
    error: run.error ?? null,
    completedSteps: run.completed_steps ?? 0,
    totalDurationMs: run.total_duration_ms ?? null,
    traceId: run.trace_id ?? null,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
  };
}

function toUsage(totals: UsageTotals) {
  return { userId: totals.user_id, requests: totals.requests, tokens: totals.tokens, costUsd: totals.cost_usd, cachedRequests: totals.cached_requests };
}

function parseJson(answer: UpstreamAnswer): unknown {
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    throw new HttpError(502, `workflow-orchestrator answered ${answer.status} with a body that is not JSON`);
  }
}

/** A 2xx answer as a WorkflowRun; a 4xx as the error it stands for (message and details kept). */
function runOrError(answer: UpstreamAnswer): WorkflowRun {
  const body = parseJson(answer) as Partial<WorkflowRun> & { error?: unknown; details?: unknown };
  if (answer.status >= 200 && answer.status < 300) {
    if (typeof body?.run_id !== 'string') throw new HttpError(502, 'workflow-orchestrator answered without a run');
    return body as WorkflowRun;
  }
  const message = typeof body?.error === 'string' ? body.error : `workflow-orchestrator answered ${answer.status}`;
  const details = Array.isArray(body?.details) ? body.details.filter((line): line is string => typeof line === 'string') : undefined;
  throw new HttpError(answer.status, message, details);
}

const omitNullish = (record: Record<string, unknown>) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null));

export function buildSchema(services: GraphqlServices): GraphQLSchema {
  const query = new GraphQLObjectType({
    name: 'Query',
    fields: {
      models: {
        type: nonNull(listOf(nonNull(ModelType))),
        resolve: async () => (await services.route.listModels()).map(toModel),
      },
      route: {
        type: nonNull(RouteResultType),
        args: { modelType: { type: nonNull(GraphQLString) }, prompt: { type: nonNull(GraphQLString) }, userId: { type: GraphQLID } },
        resolve: async (_source, args: { modelType: string; prompt: string; userId?: string | null }) =>
          toRouteResult(await services.route.route(omitNullish({ model_type: args.modelType, prompt: args.prompt, user_id: args.userId }))),
      },
      workflowRun: {
        type: WorkflowRunType,
        args: { id: { type: nonNull(GraphQLID) } },
        resolve: async (_source, args: { id: string }) => {
          const answer = await services.workflows.getRun(args.id);
          if (answer.status === 404) return null;
          return toWorkflowRun(runOrError(answer));
        },
      },
      usage: {
        type: nonNull(UsageType),
        args: { userId: { type: nonNull(GraphQLID) } },
        resolve: async (_source, args: { userId: string }) => toUsage(await services.usage.totals(args.userId)),
      },
    },
  });

  const mutation = new GraphQLObjectType({
    name: 'Mutation',
    fields: {
      executeWorkflow: {
        type: nonNull(WorkflowRunType),
        args: { input: { type: nonNull(WorkflowInputType) } },
        resolve: async (
          _source,
          args: { input: { workflowType: string; steps: unknown[]; inputData?: unknown; sessionId?: string | null; userId?: string | null; idempotencyKey?: string | null } },
        ) => {
          const { input } = args;
          const body = omitNullish({ workflow_type: input.workflowType, steps: input.steps, input_data: input.inputData, session_id: input.sessionId, user_id: input.userId });
          const answer = await services.workflows.execute(body, input.idempotencyKey ?? undefined);
          return toWorkflowRun(runOrError(answer));
        },
      },
    },
  });

  return new GraphQLSchema({ query, mutation, types: [JsonScalar] });
}
