// Explicit bucket advice for our histograms. The SDK's default buckets (0…10000) are made for
// milliseconds; with values in seconds nearly everything would land in the first two buckets.
// A view configured in @mcp/otel-bootstrap still wins over this advice.

// Request-scale durations (model inference, content generation) use the seed's HTTP buckets, which
// every hop shares: REQUEST_DURATION_BUCKETS_SECONDS of @mcp/contracts.

/** Workflow runs chain several model calls and external APIs: 50 ms … 10 min. */
export const WORKFLOW_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

/** Human sessions (user, collaboration): 1 s … 8 h. */
export const SESSION_DURATION_BUCKETS_SECONDS: readonly number[] = [
  1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800,
];

/** Participants in a collaboration session. */
export const PARTICIPANT_BUCKETS: readonly number[] = [1, 2, 3, 4, 5, 8, 10, 15, 20, 50, 100];
