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
