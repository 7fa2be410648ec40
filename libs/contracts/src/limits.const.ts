const STEP_OUTPUT_BYTES = 256 * 1024;
const RUN_DATA_BYTES = 1024 * 1024;

/** Bounds every boundary enforces; the same numbers on both ends of a hop. */
export const LIMITS = {
  /** Longest prompt, in characters. */
  promptChars: 32_768,
  /** Longest model name or other identifier. */
  identifierChars: 128,
  /** Steps in one workflow. */
  workflowSteps: 20,
  /** Bytes of a JSON request body the HTTP services accept. */
  jsonBodyBytes: 256 * 1024,
  /** Nesting of a JSON request body (`[[1]]` is 2): deeper values overflow the stack of whatever recurses on them. */
  jsonNestingDepth: 64,
  /** Characters of one Socket.IO chat message. */
  messageChars: 4_096,
  /** Bytes of one Socket.IO packet (maxHttpBufferSize). */
  socketPacketBytes: 64 * 1024,
  /**
   * Bytes (as JSON) of what one workflow step adds to the data; a template is filled only up to this
   * many characters, so a template of repeated placeholders cannot build a larger string first.
   */
  stepOutputBytes: STEP_OUTPUT_BYTES,
  /** Bytes (as JSON) of a run's whole data: its input_data plus the outputs of all its steps. */
  runDataBytes: RUN_DATA_BYTES,
  /**
   * Bytes of one run as the orchestrator answers it: its data, the final output derived from it (at
   * most the data again) and the run's own fields. What a client of the orchestrator reads at most.
   */
  workflowRunAnswerBytes: 2 * RUN_DATA_BYTES + 64 * 1024,
  /** Socket.IO connections the hub keeps open per client address (one browser opens one per page). */
  socketConnectionsPerAddress: 32,
  /** Socket.IO events one connection may send per second (also its burst); beyond, acked with an error. */
  socketEventsPerSecond: 20,
  /** Participants of one session (connections of it on one hub instance); beyond, a join is refused. */
  sessionParticipants: 100,
  /** Longest external_api timeout a step may ask for, in ms. */
  externalApiTimeoutMs: 30_000,
} as const;
