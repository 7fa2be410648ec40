import { z } from 'zod';
import { LIMITS } from './limits.const';

const identifier = z.string().trim().min(1, 'must not be empty').max(LIMITS.identifierChars, `must be at most ${LIMITS.identifierChars} characters`);

// ---------------------------------------------------------------------------------------------
// frontend: POST /api/route
// ---------------------------------------------------------------------------------------------

export const RouteRequestBody = z
  .object({
    model_type: identifier,
    prompt: z.string().min(1, 'must not be empty').max(LIMITS.promptChars, `must be at most ${LIMITS.promptChars} characters`),
    user_id: identifier.optional(),
  })
  .strict();
export type RouteRequestBody = z.infer<typeof RouteRequestBody>;

export interface RouteResponseBody {
  model_type: string;
  response: string;
  tokens_used: number;
  processing_time_ms: number;
  cached: boolean;
  /** ISO 8601, when this answer was produced (for a cached answer: when it was first produced). */
  timestamp: string;
  /** The W3C trace id of the request, to find it in Jaeger. */
  trace_id?: string;
}

// ---------------------------------------------------------------------------------------------
// workflow-orchestrator: POST /workflows/execute (and the frontend's /api/workflow/execute)
// ---------------------------------------------------------------------------------------------

export const DATA_PROCESSING_OPERATIONS = ['uppercase', 'lowercase', 'trim', 'word_count', 'char_count', 'extract_keywords', 'summarize', 'template', 'pick'] as const;
export type DataProcessingOperation = (typeof DATA_PROCESSING_OPERATIONS)[number];

const stepName = identifier.regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, _ . -');
/** A key of the workflow's data: what a step reads and writes. */
const dataKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a key of 1-64 letters, digits or _, not starting with a digit');

export const ModelInferenceStep = z
  .object({
    type: z.literal('model_inference'),
    name: stepName,
    model_type: identifier,
    /** `{key}` placeholders are filled from the workflow data; a missing key is left as written. */
    prompt_template: z.string().min(1).max(LIMITS.promptChars),
    /** Where the answer goes in the workflow data (default `response`). */
    output_key: dataKey.optional(),
  })
  .strict();

export const DataProcessingStep = z
  .object({
    type: z.literal('data_processing'),
    name: stepName,
    operation: z.enum(DATA_PROCESSING_OPERATIONS),
    /** The data key read (default `response`, else `text`). */
    input_key: dataKey.optional(),
    output_key: dataKey.optional(),
    /** For `template`: the text with `{key}` placeholders; for `pick`: the keys kept; for `extract_keywords`/`summarize`: `limit`. */
    template: z.string().max(LIMITS.promptChars).optional(),
    keys: z.array(dataKey).max(64).optional(),
    limit: z.number().int().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((step, ctx) => {
    if (step.operation === 'template' && step.template === undefined) ctx.addIssue({ code: 'custom', path: ['template'], message: 'is required for operation template' });
    if (step.operation === 'pick' && step.keys === undefined) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'is required for operation pick' });
  });

export const ExternalApiStep = z
  .object({
    type: z.literal('external_api'),
    name: stepName,
    url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
    method: z.enum(['GET', 'POST']).default('GET'),
    timeout_ms: z.number().int().min(1).max(LIMITS.externalApiTimeoutMs).default(5_000),
    output_key: dataKey.optional(),
  })
  .strict();

export const WorkflowStep = z.discriminatedUnion('type', [ModelInferenceStep, DataProcessingStep, ExternalApiStep]);
export type WorkflowStep = z.infer<typeof WorkflowStep>;

export const WorkflowExecuteBody = z
  .object({
    workflow_type: identifier,
    steps: z.array(WorkflowStep).min(1, 'must have at least one step').max(LIMITS.workflowSteps, `must have at most ${LIMITS.workflowSteps} steps`),
    input_data: z.record(dataKey, z.unknown()).default({}),
    session_id: identifier.optional(),
    user_id: identifier.optional(),
  })
  .strict();
export type WorkflowExecuteBody = z.infer<typeof WorkflowExecuteBody>;

export type WorkflowRunStatus = 'running' | 'completed' | 'failed';
export type WorkflowStepStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface WorkflowStepRecord {
  name: string;
  type: WorkflowStep['type'];
  index: number;
  status: WorkflowStepStatus;
  duration_ms?: number;
  output?: Record<string, unknown>;
  error?: string;
}

/** One document of MongoDB `workflow_runs`, and the body of GET /workflows/runs/:id. */
export interface WorkflowRun {
  /**
   * 128 random bits (base64url): the capability to read the run. Answered only to the caller that
   * started it; never in progress events, spans, metrics or logs.
   */
  run_id: string;
  /** The run's public handle: names it in progress events, spans and logs; reads nothing. */
  progress_id: string;
  workflow_type: string;
  status: WorkflowRunStatus;
  session_id?: string;
  steps: WorkflowStepRecord[];
  input_data: Record<string, unknown>;
  output?: Record<string, unknown>;
  error?: string;
  completed_steps: number;
  total_duration_ms?: number;
  trace_id?: string;
  created_at: string;
  updated_at: string;
}

// ---------------------------------------------------------------------------------------------
// collaboration-hub: POST /internal/sessions/:id/events (from the orchestrator)
// ---------------------------------------------------------------------------------------------

/** Header that carries the shared secret of the hub's internal endpoint. */
export const INTERNAL_SECRET_HEADER = 'x-internal-secret';

export const WorkflowProgressEvent = z
  .object({
    type: z.enum(['run.started', 'step.completed', 'step.failed', 'run.finished']),
    /** The run's public handle (`WorkflowRun.progress_id`), never its run_id: the room sees progress, not the run. */
    progress_id: identifier,
    workflow_type: identifier,
    status: z.enum(['running', 'completed', 'failed']),
    step: z
      .object({ name: stepName, type: z.enum(['model_inference', 'data_processing', 'external_api']), index: z.number().int().min(0), duration_ms: z.number().min(0).optional(), error: z.string().max(1024).optional() })
      .strict()
      .optional(),
    completed_steps: z.number().int().min(0),
    total_steps: z.number().int().min(1),
    at: z.iso.datetime(),
  })
  .strict();
export type WorkflowProgressEvent = z.infer<typeof WorkflowProgressEvent>;

// ---------------------------------------------------------------------------------------------
// Socket.IO (collaboration-hub <-> clients)
// ---------------------------------------------------------------------------------------------

export const SOCKET_EVENTS = {
  /** client → hub, ack `{ ok, participants }` */
  sessionJoin: 'session:join',
  /** client → hub, ack `{ ok }` */
  sessionLeave: 'session:leave',
  /** client → hub (ack `{ ok }`), hub → room */
  sessionMessage: 'session:message',
  /**
   * hub → the room but the joiner, `{ session_id, participant }`: a user entered the session's list, or
   * their entry changed (their earliest connection left, so `joined_at` is now their next one's).
   * The joiner has the whole list in its join's ack; together they keep a member's copy of the list,
   * at one entry per change (linear in the room, never a whole list to every member).
   */
  sessionParticipantJoined: 'session:participant_joined',
  /** hub → room, `{ session_id, user_id }`: the user's last connection left the session. */
  sessionParticipantLeft: 'session:participant_left',
  /** hub → room, relayed from the orchestrator */
  workflowProgress: 'workflow:progress',
  /** hub → one connection, `{ reason }`, right before the hub closes it (e.g. it ignored the event rate limit) */
  connectionClosing: 'connection:closing',
} as const;

export const SessionJoinPayload = z.object({ session_id: identifier, user_id: identifier }).strict();
export type SessionJoinPayload = z.infer<typeof SessionJoinPayload>;

export const SessionLeavePayload = z.object({ session_id: identifier }).strict();
export type SessionLeavePayload = z.infer<typeof SessionLeavePayload>;

export const SessionMessagePayload = z
  .object({ session_id: identifier, text: z.string().min(1, 'must not be empty').max(LIMITS.messageChars, `must be at most ${LIMITS.messageChars} characters`) })
  .strict();
export type SessionMessagePayload = z.infer<typeof SessionMessagePayload>;

export interface Participant {
  user_id: string;
  joined_at: string;
}

export interface SessionMessageBroadcast {
  session_id: string;
  user_id: string;
  text: string;
  at: string;
}

export interface SessionParticipantJoinedBroadcast {
  session_id: string;
  participant: Participant;
}

export interface SessionParticipantLeftBroadcast {
  session_id: string;
  user_id: string;
}

/** Every ack of the hub: `{ ok: true, ... }` or `{ ok: false, error }` with a readable message. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: string };

// ---------------------------------------------------------------------------------------------
// Errors, the same shape on every HTTP service
// ---------------------------------------------------------------------------------------------

export interface ErrorBody {
  error: string;
  /** One line per invalid field: `steps.0.model_type: must not be empty`. */
  details?: string[];
  trace_id?: string;
}

/** Readable `path: message` lines from a zod error, for 400 bodies and Socket.IO acks. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}
