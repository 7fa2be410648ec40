import type { Logger } from 'pino';

/** A dependency check: resolves when the dependency answers. */
export type DependencyCheck = () => Promise<unknown>;

export interface ReadinessReport {
  ready: boolean;
  /** `ok`, `draining`, or what failed: `error: connect ECONNREFUSED`, `timeout after 1000 ms`. */
  dependencies: Record<string, string>;
}

/**
 * Runs every check at once, each bounded by `timeoutMs`, so a hung dependency makes /ready answer
 * 503 in time instead of hanging the probe. Not ready while the process drains.
 */
export async function checkReadiness(checks: Record<string, DependencyCheck>, options: { timeoutMs: number; draining: boolean }): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, string]> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const outcome = await Promise.race([
          Promise.resolve().then(check).then(() => 'ok'),
          new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve(`timeout after ${options.timeoutMs} ms`), options.timeoutMs);
          }),
        ]);
        return [name, outcome];
      } catch (error) {
        return [name, `error: ${error instanceof Error ? error.message : String(error)}`];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const dependencies = Object.fromEntries(entries);
  if (options.draining) dependencies['process'] = 'draining';
  return { ready: !options.draining && entries.every(([, outcome]) => outcome === 'ok'), dependencies };
}

/** All `GET /ready` tells whoever asks: no dependency names, versions or error messages. */
export interface PublicReadiness {
  ready: boolean;
}

export interface ReadinessProbeOptions {
  timeoutMs: number;
  isDraining: () => boolean;
  /** Gets what failed and how, each time that changes (warn when not ready, info when ready again). */
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * `GET /ready` of every service: 200 or 503 with `{ ready }` only. The report (which dependency is
 * down, its error) is for operators, so it goes to the log — once per change, not once per probe —
 * instead of to anyone who can reach the port.
 */
export function createReadinessProbe(checks: Record<string, DependencyCheck>, options: ReadinessProbeOptions): () => Promise<{ status: 200 | 503; body: PublicReadiness }> {
  let lastLogged: string | undefined;
  return async () => {
    const report = await checkReadiness(checks, { timeoutMs: options.timeoutMs, draining: options.isDraining() });
    const details = JSON.stringify(report);
    if (details !== lastLogged) {
      lastLogged = details;
      if (report.ready) options.logger.info({ dependencies: report.dependencies }, 'ready: every dependency answers');
      else options.logger.warn({ dependencies: report.dependencies }, 'not ready');
    }
    return { status: report.ready ? 200 : 503, body: { ready: report.ready } };
  };
}
