const TRACE_ID = /^[0-9a-f]{32}$/;

/** `<jaegerUrl>/trace/<traceId>`, or null without a Jaeger URL or a valid trace id. */
export function jaegerTraceUrl(jaegerUrl: string | null, traceId: string | undefined | null): string | null {
  if (!jaegerUrl || !traceId || !TRACE_ID.test(traceId)) return null;
  return `${jaegerUrl.replace(/\/+$/, '')}/trace/${traceId}`;
}

/** "trace <id>" with an "open in Jaeger" link when there is one. */
export function traceElement(jaegerUrl: string | null, traceId: string | undefined | null): HTMLElement {
  const wrapper = document.createElement('p');
  wrapper.className = 'trace';
  if (!traceId) {
    wrapper.textContent = 'No trace id.';
    return wrapper;
  }
  wrapper.append('Trace ');
  const code = document.createElement('code');
  code.className = 'trace-id';
  code.textContent = traceId;
  wrapper.append(code);
  const url = jaegerTraceUrl(jaegerUrl, traceId);
  if (url) {
    wrapper.append(' ');
    const link = document.createElement('a');
    link.href = url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.className = 'jaeger-link';
    link.textContent = 'Open in Jaeger';
    wrapper.append(link);
  }
  return wrapper;
}
