import { BusinessMetrics } from '@mcp/mcp-metrics';

/**
 * The seed's collaboration metrics, through the process's one {@link BusinessMetrics}: a session is
 * counted (`mcp_collaboration_sessions_total`) when it gets its first participant, timed
 * (`mcp_collaboration_duration_seconds`) when it empties, and its size recorded
 * (`mcp_collaboration_participants`) on every join. Never a session or user id as an attribute.
 */
export class CollaborationMetrics {
  constructor(private readonly business: BusinessMetrics = new BusinessMetrics()) {}

  /** A session got its first participant here; `participantCount` is its size across instances. */
  sessionStarted(participantCount: number): void {
    this.business.recordCollaborationStart(participantCount);
  }

  /** Someone joined a session that already had participants here. */
  participantJoined(participantCount: number): void {
    this.business.recordCollaborationParticipants(participantCount);
  }

  /** The last participant here left, `durationSeconds` after the first joined. */
  sessionEnded(durationSeconds: number): void {
    this.business.recordCollaborationEnd(durationSeconds);
  }
}
