/**
 * EXTERNAL_API_ALLOWLIST: which hosts external_api steps may call. An entry is a host name or IP
 * (`api.example.com`, `127.0.0.1`, `[::1]`), allowing that host on any port, or `host:port`,
 * allowing that port only. Matching is exact (no wildcards), case-insensitive.
 */
export interface AllowlistEntry {
  /** Lower case; IPv6 in brackets, as `URL.hostname` writes it. */
  hostname: string;
  /** Undefined: any port. */
  port?: number;
}

/** Parses one entry, or returns a readable problem. */
export function parseAllowlistEntry(entry: string): AllowlistEntry | string {
  const problem = `"${entry}" is not a host or host:port`;
  if (/[/?#@\s]/.test(entry) || entry.includes('://')) return problem;
  let url: URL;
  try {
    url = new URL(`http://${entry}`);
  } catch {
    return problem;
  }
  if (!url.hostname) return problem;
  // URL drops a port equal to the scheme's default (80 for http), so read it back from the entry.
  const explicitPort = /:(\d{1,5})$/.exec(entry);
  if (explicitPort) {
    const port = Number(explicitPort[1]);
    if (port < 1 || port > 65535) return problem;
    return { hostname: url.hostname.toLowerCase(), port };
  }
  return { hostname: url.hostname.toLowerCase() };
}

function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** Whether `target` (an absolute http/https URL) may be called. */
export function isAllowed(allowlist: readonly AllowlistEntry[], target: URL | string): boolean {
  let url: URL;
  try {
    url = typeof target === 'string' ? new URL(target) : target;
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const hostname = url.hostname.toLowerCase();
  const port = effectivePort(url);
  return allowlist.some((entry) => entry.hostname === hostname && (entry.port === undefined || entry.port === port));
}

/** `host:port` of a URL as a client would see it in an error message (never the path or query). */
export function hostOf(target: URL | string): string {
  try {
    const url = typeof target === 'string' ? new URL(target) : target;
    return url.host;
  } catch {
    return '(invalid URL)';
  }
}
