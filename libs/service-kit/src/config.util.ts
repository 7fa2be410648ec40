import { z } from 'zod';

/** Every problem of a service's environment, one line each: `PORT: must be a port number (1-65535)`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment against a service's schema once; throws a {@link ConfigError} listing every problem. */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(env)'}: ${issue.message}`));
}

/** For main.ts: parse, or print every problem and exit 78 (EX_CONFIG) before anything starts. */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}

// Building blocks for the services' schemas; an empty variable counts as unset.
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** A string variable: optional without a fallback, always a string with one. */
function stringVar(): z.ZodType<string | undefined, unknown>;
function stringVar(fallback: string): z.ZodType<string, unknown>;
function stringVar(fallback?: string): z.ZodType<string | undefined, unknown> {
  return fallback === undefined ? z.preprocess(unsetIfEmpty, z.string().optional()) : z.preprocess(unsetIfEmpty, z.string().default(fallback));
}

export const env = {
  /** A listening port; 0 means any free port (tests, several instances on one machine). */
  port: (fallback: number) => {
    const message = 'must be a port number (0-65535, 0 = any free port)';
    return z.preprocess(unsetIfEmpty, z.coerce.number({ error: message }).int(message).min(0, message).max(65535, message).default(fallback));
  },
  positiveInt: (fallback: number) =>
    z.preprocess(unsetIfEmpty, z.coerce.number({ error: 'must be a positive integer' }).int('must be a positive integer').positive('must be a positive integer').default(fallback)),
  ratio: (fallback: number) => z.preprocess(unsetIfEmpty, z.coerce.number({ error: 'must be a number in [0, 1]' }).min(0, 'must be a number in [0, 1]').max(1, 'must be a number in [0, 1]').default(fallback)),
  /** A URL with one of the given schemes, e.g. `url(['redis', 'rediss'])`; optional. */
  url: (schemes: readonly string[]) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine((value) => {
          try {
            return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
          } catch {
            return false;
          }
        }, `must be a URL with scheme ${schemes.join(' or ')}`)
        .optional(),
    ),
  /** `host:port`, as gRPC addresses are written. */
  hostPort: (fallback: string) => z.preprocess(unsetIfEmpty, z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port').default(fallback)),
  string: stringVar,
  list: () => z.preprocess((value) => (typeof value === 'string' && value.trim() !== '' ? value.split(',').map((s) => s.trim()).filter(Boolean) : []), z.array(z.string())),
  /**
   * A boolean OpenTelemetry setting, read as the specification reads them: only `true` (any case) is
   * true; unset, empty and anything else are false (a telemetry switch never stops a service).
   */
  otelFlag: () => z.preprocess((value) => typeof value === 'string' && value.trim().toLowerCase() === 'true', z.boolean()),
  logLevel: () => z.preprocess(unsetIfEmpty, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  /** `NODE_ENV`; `production` (what the images set) turns on {@link productionSecrets}. */
  nodeEnv: () => stringVar(),
} as const;

/** What the services send and expect in `x-internal-secret` when INTERNAL_API_SECRET is unset: development only. */
export const DEVELOPMENT_INTERNAL_API_SECRET = 'dev-secret';

/** The shortest secret production accepts (`openssl rand -hex 32` gives 64 characters). */
export const MIN_PRODUCTION_SECRET_LENGTH = 32;

/**
 * Secret values written in this repository that are long enough to pass the length rule: anyone can
 * read them, so production refuses them. tools/deploy-checks finds every secret value the repository
 * commits and proves each one is refused, so a new long example fails that check until it is listed here.
 */
const COMMITTED_SECRET_VALUES: ReadonlySet<string> = new Set([DEVELOPMENT_INTERNAL_API_SECRET]);

/**
 * A `.superRefine` of a service's schema (which must read NODE_ENV with `env.nodeEnv()`): with
 * NODE_ENV=production each named secret must be set, at least {@link MIN_PRODUCTION_SECRET_LENGTH}
 * characters long and none of the values this repository commits, or the service refuses to start
 * and says which. Development and tests (any other NODE_ENV) keep their defaults.
 */
export function productionSecrets<Name extends string>(...names: Name[]) {
  return (config: { NODE_ENV?: string | undefined } & { [K in Name]?: string | undefined }, ctx: z.RefinementCtx): void => {
    if (config.NODE_ENV !== 'production') return;
    const advice = `production needs a secret of its own, at least ${MIN_PRODUCTION_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`;
    for (const name of names) {
      const value: string | undefined = config[name];
      const problem =
        value === undefined || COMMITTED_SECRET_VALUES.has(value)
          ? `is unset or a development value committed in this repository; ${advice}`
          : value.length < MIN_PRODUCTION_SECRET_LENGTH
            ? `is ${value.length} characters; ${advice}`
            : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  };
}
