/** The attributes of the stable HTTP semantic conventions that a server span takes from its request. */
import type { IncomingMessage } from 'node:http';
import type { Attributes } from '@opentelemetry/api';

/** A `Content-Length` header as a non-negative integer, or undefined when absent or malformed. */
export function contentLength(value: string | number | string[] | undefined): number | undefined {
  if (value === undefined || Array.isArray(value)) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Query parameters that carry credentials in signed URLs: their values never reach a span (as upstream). */
export const REDACTED_QUERY_PARAMETERS: readonly string[] = ['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token'];
const REDACTED_QUERY_PATTERN = new RegExp(`(?:^|&)(?:${REDACTED_QUERY_PARAMETERS.join('|')})=`);

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

export function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** `a=1&sig=secret` → `a=1&sig=REDACTED`; untouched (and unparsed) when no such parameter is present. */
export function redactQuery(query: string): string {
  if (!REDACTED_QUERY_PATTERN.test(query)) return query;
  const params = new URLSearchParams(query);
  for (const name of REDACTED_QUERY_PARAMETERS) if (params.has(name)) params.set(name, 'REDACTED');
  return params.toString();
}

/** `host:8080` → [`host`, 8080]; `[::1]:80` → [`[::1]`, 80]; without a port, the scheme's default. */
export function parseHost(host: string, scheme: string): [string, number | undefined] {
  const colon = host.lastIndexOf(':');
  const bracket = host.lastIndexOf(']');
  const defaultPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
  if (colon === -1 || colon < bracket || (bracket === -1 && host.indexOf(':') !== colon)) return [host, defaultPort];
  const port = Number(host.slice(colon + 1));
  return [host.slice(0, colon), Number.isInteger(port) && port > 0 && port < 65536 ? port : defaultPort];
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The first element's `for=`/`host=`/`proto=` of an RFC 7239 `Forwarded` header. */
export function parseForwarded(header: string): { for?: string; host?: string; proto?: string } {
  const first = header.split(',', 1)[0] ?? '';
  const result: { for?: string; host?: string; proto?: string } = {};
  for (const pair of first.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key === 'for' || key === 'host' || key === 'proto') result[key] = value;
  }
  return result;
}

function withoutPort(address: string): string {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end === -1 ? address : address.slice(1, end);
  }
  const colon = address.indexOf(':');
  return colon !== -1 && colon === address.lastIndexOf(':') ? address.slice(0, colon) : address;
}

/**
 * The attributes of the stable HTTP semantic conventions that are not needed to start the span:
 * computed only for a span that records (the sampler kept it), so an unsampled request pays for none.
 */
export function requestAttributes(request: IncomingMessage, scheme: string, url: string, query: number): Attributes {
  const { headers, socket } = request;
  // Read once: `remoteAddress` is a getter (~0.6 k instructions a read; BENCHMARKS.md, issue 15 item 2).
  const peerAddress = socket.remoteAddress;
  const attributes: Attributes = {
    'network.protocol.version': request.httpVersion,
    'network.peer.address': peerAddress,
    'network.peer.port': socket.remotePort,
  };
  if (query !== -1 && query < url.length - 1) attributes['url.query'] = redactQuery(url.slice(query + 1));
  const userAgent = headers['user-agent'];
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  const forwarded = headers.forwarded === undefined ? undefined : parseForwarded(headers.forwarded);
  const forwardedFor = forwarded?.for ?? firstHeader(headers['x-forwarded-for'])?.split(',', 1)[0]?.trim();
  const client = forwardedFor ? withoutPort(forwardedFor) : peerAddress;
  if (client) attributes['client.address'] = client;
  const host = forwarded?.host ?? firstHeader(headers['x-forwarded-host']) ?? headers.host;
  if (host) {
    const [address, port] = parseHost(host, forwarded?.proto ?? firstHeader(headers['x-forwarded-proto']) ?? scheme);
    attributes['server.address'] = address;
    if (port !== undefined) attributes['server.port'] = port;
  }
  const size = contentLength(headers['content-length']);
  if (size !== undefined) attributes['http.request.body.size'] = size;
  if (request.method !== undefined && !KNOWN_METHODS.has(request.method)) attributes['http.request.method_original'] = request.method;
  return attributes;
}
