/** What the frontend tells the page (`GET /config.json`, apps/frontend/src/routes/web.routes.ts). */
export interface PageConfig {
  /** Jaeger UI base URL; null when none is configured (trace ids are shown without a link). */
  jaegerUrl: string | null;
  /** The collaboration-hub as this browser reaches it. */
  hubUrl: string;
  /** Where browser spans are exported (the frontend's OTLP proxy). */
  collectorUrl: string;
}

const DEFAULTS: PageConfig = { jaegerUrl: null, hubUrl: '', collectorUrl: '/otlp/v1/traces' };

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Reads /config.json; any failure gives the defaults (hub on this host's port 3002), never an error. */
export async function loadPageConfig(): Promise<PageConfig> {
  const fallbackHub = `${location.protocol}//${location.hostname}:3002`;
  try {
    const response = await fetch('/config.json', { headers: { accept: 'application/json' } });
    if (!response.ok) return { ...DEFAULTS, hubUrl: fallbackHub };
    const body = (await response.json()) as Record<string, unknown>;
    return {
      jaegerUrl: text(body['jaegerUrl'])?.replace(/\/+$/, '') ?? null,
      hubUrl: text(body['hubUrl']) ?? fallbackHub,
      collectorUrl: text(body['collectorUrl']) ?? DEFAULTS.collectorUrl,
    };
  } catch {
    return { ...DEFAULTS, hubUrl: fallbackHub };
  }
}
