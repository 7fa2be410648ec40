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
  /** Characters of one Socket.IO chat message. */
  messageChars: 4_096,
  /** Bytes of one Socket.IO packet (maxHttpBufferSize). */
  socketPacketBytes: 64 * 1024,
  /** Longest external_api timeout a step may ask for, in ms. */
  externalApiTimeoutMs: 30_000,
} as const;
