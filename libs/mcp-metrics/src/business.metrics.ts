import { ValueType, trace } from '@opentelemetry/api';
import type { Counter, Histogram, UpDownCounter } from '@opentelemetry/api';
import { boundedAttribute, nonNegative } from './bounded-attribute.util';
import type { BoundedAttribute } from './bounded-attribute.util';
import { REQUEST_DURATION_BUCKETS_SECONDS } from '@mcp/contracts';
import { PARTICIPANT_BUCKETS, SESSION_DURATION_BUCKETS_SECONDS } from './histogram-buckets.const';
import {
  ATTR_MCP_MODEL_TYPE,
  ATTR_MCP_USER_HASH,
  ATTR_MCP_USER_TYPE,
  METRIC_MCP_ACTIVE_USER_SESSIONS,
  METRIC_MCP_COLLABORATION_DURATION_SECONDS,
  METRIC_MCP_COLLABORATION_PARTICIPANTS,
  METRIC_MCP_COLLABORATION_SESSIONS_TOTAL,
  METRIC_MCP_CONTENT_GENERATION_DURATION_SECONDS,
  METRIC_MCP_CONTENT_GENERATION_TOTAL,
  METRIC_MCP_CONTENT_LENGTH_GENERATED_TOTAL,
  METRIC_MCP_COST_BY_MODEL_TOTAL,
  METRIC_MCP_COST_BY_USER_TOTAL,
  METRIC_MCP_COST_INCURRED_TOTAL,
  METRIC_MCP_USER_SESSIONS_TOTAL,
  METRIC_MCP_USER_SESSION_DURATION_SECONDS,
} from './semconv';
import { KNOWN_MODEL_TYPES } from './telemetry-options.types';
import type { McpTelemetryOptions } from './telemetry-options.types';
import { telemetryScope } from './telemetry-scope.util';
import { hashUserId } from './user-hash.util';

/**
 * Unit of the cost counters. UCUM has no currency units; OpenTelemetry's convention for a unit outside
 * UCUM is an annotation in curly braces, which UCUM-aware backends treat as dimensionless "1" while
 * keeping the label. A bare `USD` would be parsed by them as an (unknown) UCUM unit.
 */
const COST_UNIT = '{USD}';

/** Options of {@link BusinessMetrics}. `tracerProvider` is not used: the user hash goes on the active span. */
export interface BusinessMetricsOptions extends McpTelemetryOptions {
  /**
   * Key for the HMAC of user ids put on spans as `mcp.user_hash`. Without it a plain SHA-256 is used,
   * which guessable ids (numbers, e-mail addresses) make reversible. Default: none.
   */
  userHashKey?: string;
  /** Model types that never count against `maxAttributeValues`. Default: the stub models of DESIGN.md. */
  knownModelTypes?: readonly string[];
  /** User types that never count against `maxAttributeValues`. Default: none. */
  knownUserTypes?: readonly string[];
}

/**
 * Business metrics of the MCP system (seed §4.2): user sessions, content generation, collaboration and
 * cost, on the meter `mcp-business-metrics`.
 *
 * Unlike the seed, no user or session id ever becomes a metric attribute (one series per user would
 * grow without end and put personal data in the metrics store): sessions are labelled by a bounded
 * user type, and per-user cost lives in the frontend's PostgreSQL usage ledger. Construct once per process.
 */
export class BusinessMetrics {
  private readonly userHashKey: string | undefined;
  private readonly modelType: BoundedAttribute;
  private readonly userType: BoundedAttribute;
  private readonly userSessionCounter: Counter;
  private readonly userSessionDuration: Histogram;
  private readonly activeUserSessions: UpDownCounter;
  private readonly contentGenerationCounter: Counter;
  private readonly contentGenerationDuration: Histogram;
  private readonly contentLengthGenerated: Counter;
  private readonly collaborationSessionCounter: Counter;
  private readonly collaborationParticipants: Histogram;
  private readonly collaborationDuration: Histogram;
  private readonly costIncurred: Counter;
  private readonly costByModel: Counter;
  private readonly costByUser: Counter;

  constructor(options: BusinessMetricsOptions = {}) {
    const { meter, maxValues } = telemetryScope(options, 'mcp-business-metrics');

    this.userHashKey = options.userHashKey;
    this.modelType = boundedAttribute({ maxValues, knownValues: options.knownModelTypes ?? KNOWN_MODEL_TYPES });
    this.userType = boundedAttribute({ maxValues, knownValues: options.knownUserTypes ?? [] });

    this.userSessionCounter = meter.createCounter(METRIC_MCP_USER_SESSIONS_TOTAL, {
      description: 'Total number of user sessions',
      unit: '{session}',
      valueType: ValueType.INT,
    });
    this.userSessionDuration = meter.createHistogram(METRIC_MCP_USER_SESSION_DURATION_SECONDS, {
      description: 'User session duration in seconds',
      unit: 's',
      advice: { explicitBucketBoundaries: [...SESSION_DURATION_BUCKETS_SECONDS] },
    });
    this.activeUserSessions = meter.createUpDownCounter(METRIC_MCP_ACTIVE_USER_SESSIONS, {
      description: 'Number of active user sessions',
      unit: '{session}',
      valueType: ValueType.INT,
    });
    this.contentGenerationCounter = meter.createCounter(METRIC_MCP_CONTENT_GENERATION_TOTAL, {
      description: 'Total number of content generation requests',
      unit: '{request}',
      valueType: ValueType.INT,
    });
    this.contentGenerationDuration = meter.createHistogram(METRIC_MCP_CONTENT_GENERATION_DURATION_SECONDS, {
      description: 'Content generation duration in seconds',
      unit: 's',
      advice: { explicitBucketBoundaries: [...REQUEST_DURATION_BUCKETS_SECONDS] },
    });
    this.contentLengthGenerated = meter.createCounter(METRIC_MCP_CONTENT_LENGTH_GENERATED_TOTAL, {
      description: 'Total length of generated content in characters',
      unit: '{char}',
      valueType: ValueType.INT,
    });
    this.collaborationSessionCounter = meter.createCounter(METRIC_MCP_COLLABORATION_SESSIONS_TOTAL, {
      description: 'Total number of collaboration sessions',
      unit: '{session}',
      valueType: ValueType.INT,
    });
    this.collaborationParticipants = meter.createHistogram(METRIC_MCP_COLLABORATION_PARTICIPANTS, {
      description: 'Number of participants in collaboration sessions',
      unit: '{participant}',
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: [...PARTICIPANT_BUCKETS] },
    });
    this.collaborationDuration = meter.createHistogram(METRIC_MCP_COLLABORATION_DURATION_SECONDS, {
      description: 'Collaboration session duration in seconds',
      unit: 's',
      advice: { explicitBucketBoundaries: [...SESSION_DURATION_BUCKETS_SECONDS] },
    });
    this.costIncurred = meter.createCounter(METRIC_MCP_COST_INCURRED_TOTAL, {
      description: 'Total cost incurred in USD',
      unit: COST_UNIT,
    });
    this.costByModel = meter.createCounter(METRIC_MCP_COST_BY_MODEL_TOTAL, {
      description: 'Total cost incurred by model type in USD',
      unit: COST_UNIT,
    });
    this.costByUser = meter.createCounter(METRIC_MCP_COST_BY_USER_TOTAL, {
      description: 'Total cost incurred by user type in USD (per-user cost is in the PostgreSQL usage ledger)',
      unit: COST_UNIT,
    });
  }

  /** A user session opened: `mcp_active_user_sessions` +1 for the (bounded) user type. */
  recordUserStart(userType: string): void {
    this.activeUserSessions.add(1, { [ATTR_MCP_USER_TYPE]: this.userType(userType) });
  }

  /**
   * A user session closed after `durationSeconds`: `mcp_active_user_sessions` −1, and the session counted
   * and timed. Call with the same user type as {@link recordUserStart}, or the gauge drifts.
   */
  recordUserEnd(userType: string, durationSeconds: number): void {
    const attributes = { [ATTR_MCP_USER_TYPE]: this.userType(userType) };
    this.activeUserSessions.add(-1, attributes);
    this.userSessionCounter.add(1, attributes);
    const seconds = nonNegative(durationSeconds);
    if (seconds !== undefined) this.userSessionDuration.record(seconds, attributes);
  }

  /**
   * One content generation by `modelType`: counted, timed, its length (characters) summed and, when
   * given, its cost added to `mcp_cost_incurred_total` and `mcp_cost_by_model_total`.
   * These two counters are written here only, so that {@link recordUserCost} for the same request
   * does not count its cost twice.
   */
  recordContentGeneration(modelType: string, durationSeconds: number, contentLength: number, costUsd?: number): void {
    const attributes = { [ATTR_MCP_MODEL_TYPE]: this.modelType(modelType) };
    this.contentGenerationCounter.add(1, attributes);
    const seconds = nonNegative(durationSeconds);
    if (seconds !== undefined) this.contentGenerationDuration.record(seconds, attributes);
    const length = nonNegative(contentLength);
    if (length !== undefined) this.contentLengthGenerated.add(length, attributes);
    const cost = nonNegative(costUsd);
    if (cost !== undefined) {
      this.costIncurred.add(cost, attributes);
      this.costByModel.add(cost, attributes);
    }
  }

  /**
   * A collaboration session started with `participantCount` participants. The seed's session id is
   * not taken: it would make one series per session.
   */
  recordCollaborationStart(participantCount: number): void {
    this.collaborationSessionCounter.add(1);
    const participants = nonNegative(participantCount);
    if (participants !== undefined) this.collaborationParticipants.record(participants);
  }

  /** A session changed size (someone joined or left): its participant count now. */
  recordCollaborationParticipants(participantCount: number): void {
    const participants = nonNegative(participantCount);
    if (participants !== undefined) this.collaborationParticipants.record(participants);
  }

  /** A collaboration session ended after `durationSeconds`. */
  recordCollaborationEnd(durationSeconds: number): void {
    const seconds = nonNegative(durationSeconds);
    if (seconds !== undefined) this.collaborationDuration.record(seconds);
  }

  /**
   * Attributes `costUsd` spent on `modelType` to a user: `mcp_cost_by_user_total` by (bounded) user
   * type and model type, and `mcp.user_hash` — a keyed hash, never the id — on the active span, so a
   * trace can be matched with the user's row in the PostgreSQL ledger, which holds the per-user cost.
   * Totals by model come from {@link recordContentGeneration}.
   */
  recordUserCost(userId: string, costUsd: number, modelType: string, userType?: string): void {
    const cost = nonNegative(costUsd);
    if (cost !== undefined) {
      this.costByUser.add(cost, {
        [ATTR_MCP_USER_TYPE]: this.userType(userType),
        [ATTR_MCP_MODEL_TYPE]: this.modelType(modelType),
      });
    }
    const span = trace.getActiveSpan();
    if (span?.isRecording() === true && typeof userId === 'string' && userId !== '') {
      span.setAttribute(ATTR_MCP_USER_HASH, hashUserId(userId, this.userHashKey));
    }
  }
}
