/**
 * Names the frontend adds to the seed's (`@mcp/mcp-metrics` semconv). Namespaced `mcp.*` / `mcp_frontend_*`
 * so they never collide with the seed's contract.
 */

/** Which cache call was bypassed: `get` or `set`. */
export const ATTR_MCP_CACHE_OPERATION = 'mcp.cache_operation' as const;
/** Which cache implementation served: `redis` or `memory`. */
export const ATTR_MCP_CACHE_BACKEND = 'mcp.cache_backend' as const;

/** Counter `{request}`: cache calls skipped because the cache failed (Redis down, slow); the request was still served. */
export const METRIC_MCP_FRONTEND_CACHE_BYPASS_TOTAL = 'mcp_frontend_cache_bypass_total' as const;
/** Counter `{row}`: usage rows that could not be written to the ledger; the request was still served. */
export const METRIC_MCP_FRONTEND_LEDGER_WRITE_FAILURES_TOTAL = 'mcp_frontend_ledger_write_failures_total' as const;
/** Usage rows waiting in the outbox file for PostgreSQL to take them (0 when the ledger keeps up). */
export const METRIC_MCP_FRONTEND_LEDGER_OUTBOX_PENDING = 'mcp_frontend_ledger_outbox_pending' as const;

/** What the OTLP proxy did with a browser trace export: `forwarded` as it came, `rewritten` (then forwarded), or `refused` (400). */
export const ATTR_MCP_OTLP_PROXY_OUTCOME = 'mcp.otlp_proxy.outcome' as const;
/** Counter `{request}`: browser trace exports by outcome (`mcp.otlp_proxy.outcome`). */
export const METRIC_MCP_FRONTEND_OTLP_PROXY_REQUESTS_TOTAL = 'mcp_frontend_otlp_proxy_requests_total' as const;
/** Counter `{span}`: browser spans forwarded to the collector (after any rewrite), by outcome. */
export const METRIC_MCP_FRONTEND_OTLP_PROXY_SPANS_TOTAL = 'mcp_frontend_otlp_proxy_spans_total' as const;

/** Span event on the request span when the cache was bypassed. */
export const EVENT_CACHE_BYPASSED = 'mcp.cache_bypassed' as const;
