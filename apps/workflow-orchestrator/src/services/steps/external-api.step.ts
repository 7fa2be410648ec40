import { LIMITS } from '@mcp/contracts';
import { readBodyCapped } from '@mcp/service-kit';
import { hostOf, isAllowed, type AllowlistEntry } from '../allowlist';
import { StepError, type StepExecutor } from './step.types';

/** Largest external API response body a step accepts: what one step may add to the data. */
export const MAX_RESPONSE_BYTES = LIMITS.stepOutputBytes;
/** Redirects followed (each to an allow-listed host) before the step gives up. */
export const MAX_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  // fetch wraps the socket error: TypeError('fetch failed', { cause: Error{ code: 'ECONNREFUSED' } }).
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function requestError(error: unknown, signal: AbortSignal, timeoutMs: number, host: string): StepError {
  if (signal.aborted) return new StepError('TIMEOUT', `external API ${host} did not answer within ${timeoutMs} ms`);
  const code = causeCode(error);
  return new StepError(code ?? 'REQUEST_FAILED', `external API request to ${host} failed${code ? `: ${code}` : ''}`);
}

/**
 * `external_api`: calls an allow-listed URL with the global fetch (the undici instrumentation makes
 * the client span and propagates traceparent), bounded by the step's `timeout_ms` for the whole
 * exchange, body included. GET, or POST with the current data as JSON. Redirects are followed by
 * hand, and only to allow-listed hosts. The answer must be JSON of at most 256 KB.
 * Output: `{ [output_key ?? 'api_response']: json }`.
 */
export function externalApiStep(options: { allowlist: readonly AllowlistEntry[]; maxResponseBytes?: number }): StepExecutor<'external_api'> {
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  return async (step, data) => {
    const signal = AbortSignal.timeout(step.timeout_ms);
    let url = new URL(step.url);
    let method: string = step.method;
    let body: string | undefined = method === 'POST' ? JSON.stringify(data) : undefined;

    for (let redirects = 0; ; redirects += 1) {
      const host = hostOf(url);
      // Checked before the request was accepted too; again here because redirects change the host.
      if (!isAllowed(options.allowlist, url)) throw new StepError('HOST_NOT_ALLOWED', `external API host ${host} is not in EXTERNAL_API_ALLOWLIST`);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body }),
          redirect: 'manual',
          signal,
        });
      } catch (error) {
        throw requestError(error, signal, step.timeout_ms, host);
      }

      const location = response.headers.get('location');
      if (REDIRECT_STATUSES.has(response.status) && location) {
        await response.body?.cancel().catch(() => undefined);
        if (redirects >= MAX_REDIRECTS) throw new StepError('TOO_MANY_REDIRECTS', `external API ${host} redirected more than ${MAX_REDIRECTS} times`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new StepError('INVALID_REDIRECT', `external API ${host} redirected to an invalid URL`);
        }
        if (!isAllowed(options.allowlist, next)) {
          throw new StepError('REDIRECT_NOT_ALLOWED', `external API ${host} redirected to ${hostOf(next)}, which is not in EXTERNAL_API_ALLOWLIST`);
        }
        // As browsers do: 303, and 301/302 after a POST, continue as GET without a body.
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next;
        continue;
      }

      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new StepError('HTTP_STATUS', `external API ${host} answered HTTP ${response.status}`);
      }
      let text: string | undefined;
      try {
        text = await readBodyCapped(response, maxBytes);
      } catch (error) {
        throw requestError(error, signal, step.timeout_ms, host);
      }
      if (text === undefined) throw new StepError('RESPONSE_TOO_LARGE', `external API ${host} answered more than ${maxBytes} bytes`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        const type = response.headers.get('content-type');
        throw new StepError('INVALID_JSON', `external API ${host} answered a body that is not JSON${type ? ` (content-type ${type.slice(0, 100)})` : ''}`);
      }
      return { [step.output_key ?? 'api_response']: json };
    }
  };
}
