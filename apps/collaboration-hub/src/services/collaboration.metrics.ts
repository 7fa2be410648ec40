import { BusinessMetrics, MCP_METRICS_VERSION, METRIC_MCP_COLLABORATION_PARTICIPANTS } from '@mcp/mcp-metrics';
import { ValueType, metrics } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/api';

/**
 * The seed's collaboration metrics, through the process's one {@link BusinessMetrics}: a session is
 * counted (`mcp_collaboration_sessions_total`) when it gets its first participant, timed
 * (`mcp_collaboration_duration_seconds`) when it empties, and its size recorded
 * (`mcp_collaboration_participants`) on every join. Never a session or user id as an attribute.
 */
export class CollaborationMetrics {
  private readonly participantsOnJoin: Histogram;

  constructor(private readonly business: BusinessMetrics = new BusinessMetrics()) {
    // BusinessMetrics records the participants histogram only inside recordCollaborationStart, which
    // also counts a new session. For later joins we record into the same instrument: same meter scope
    // and same descriptor (name, description, unit, type), so the SDK hands back the storage the lib
    // registered, one series. Drop this once the lib has a method for it.
    this.participantsOnJoin = metrics.getMeter('mcp-business-metrics', MCP_METRICS_VERSION).createHistogram(METRIC_MCP_COLLABORATION_PARTICIPANTS, {
      description: 'Number of participants in collaboration sessions',
      unit: '{participant}',
      valueType: ValueType.INT,
    });
  }

  /** A session got its first participant here; `participantCount` is its size across instances. */
  sessionStarted(participantCount: number): void {
    this.business.recordCollaborationStart(participantCount);
  }

  /** Someone joined a session that already had participants here. */
  participantJoined(participantCount: number): void {
    if (Number.isFinite(participantCount) && participantCount >= 0) this.participantsOnJoin.record(participantCount);
  }

  /** The last participant here left, `durationSeconds` after the first joined. */
  sessionEnded(durationSeconds: number): void {
    this.business.recordCollaborationEnd(durationSeconds);
  }
}
