import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { imageProblem } from './images';

export interface Stage {
  name: string | undefined;
  /** The FROM image with initial ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  stages: Stage[];
  /** Dockerfile syntax/semantic errors found by dockerfile-utils (the VS Code Docker linter). */
  syntaxErrors: string[];
}

function substituteArgs(text: string, args: Map<string, string>): string {
  return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => args.get(name) ?? whole);
}

export function parseDockerfile(content: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(content);
  const initialArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const value = property?.getValue();
    if (property && value !== null && value !== undefined) initialArgs.set(property.getName(), value);
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = instruction as unknown as { getImage(): string | null; getBuildStage(): string | null };
      stages.push({ name: from.getBuildStage() ?? undefined, image: substituteArgs(from.getImage() ?? '', initialArgs), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  const syntaxErrors = validate(content)
    .filter((d) => d.severity === 1 /* DiagnosticSeverity.Error */)
    .map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  void ValidationSeverity;
  return { stages, syntaxErrors };
}

/** The arguments of an exec-form instruction (`["a", "b"]`), or undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  const raw = instruction.getRawArgumentsContent()?.replace(/\\\r?\n/g, ' ').trim() ?? '';
  const jsonStart = raw.indexOf('[');
  if (jsonStart === -1) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw.slice(jsonStart));
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? (parsed as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** ENV of a stage as name → value (later instructions win). */
export function stageEnv(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of stage.instructions) {
    if (instruction.getKeyword() !== 'ENV') continue;
    const properties = (instruction as unknown as { getProperties(): Array<{ getName(): string; getValue(): string | null }> }).getProperties();
    for (const property of properties) env.set(property.getName(), property.getValue() ?? '');
  }
  return env;
}

const keywordOf = (i: Instruction) => i.getKeyword();
const argsOf = (i: Instruction) => (i as unknown as { getTextContent(): string }).getTextContent().replace(/\\\r?\n/g, " ").replace(/^\s*\S+/, "");

/** Where the image keeps the app's own environment (deploy/apps.json, written by app-facts.cjs). */
export const APP_ENV_FILE = '/app/app.env';

/**
 * Everything the app image (deploy/docker/Dockerfile, one for the four apps, the app chosen by the
 * build argument APP) must be, as a list of problems (empty: fine). Each rule is independent so
 * that a broken variant shows exactly which rule it breaks.
 */
export function appDockerfileProblems(content: string): string[] {
  const problems: string[] = [];
  const { stages, syntaxErrors } = parseDockerfile(content);
  problems.push(...syntaxErrors.map((e) => `syntax: ${e}`));
  if (stages.length < 2) problems.push('not a multi-stage build');
  const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
  for (const stage of stages) {
    if (stageNames.has(stage.image)) continue; // FROM <earlier stage>
    const problem = imageProblem(stage.image);
    if (problem) problems.push(`FROM ${problem}`);
    if (!/^node:24\.\d+\.\d+-/.test(stage.image)) problems.push(`FROM ${stage.image}: not a pinned Node 24 image (node:24.x.y-<variant>)`);
  }
  const runtime = stages.at(-1);
  if (!runtime) return problems;
  const kw = runtime.instructions.map(keywordOf);

  // Non-root: the last USER of the final stage is neither root nor uid 0.
  const users = runtime.instructions.filter((i) => keywordOf(i) === 'USER').map((i) => argsOf(i).trim());
  const user = users.at(-1);
  if (!user) problems.push('final stage has no USER (runs as root)');
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`final stage runs as ${user}`);
  else if (!/^[1-9][0-9]*(:[0-9]+)?$/.test(user)) problems.push(`USER ${user}: use a numeric uid so Kubernetes can verify runAsNonRoot`);

  // Init process as PID 1; the app with its own environment file.
  const entrypoints = runtime.instructions.filter((i) => keywordOf(i) === 'ENTRYPOINT');
  const entrypoint = entrypoints.at(-1) ? execForm(entrypoints.at(-1)!) : undefined;
  if (!entrypoint) problems.push('no exec-form ENTRYPOINT');
  else if (!/(^|\/)(tini|dumb-init)$/.test(entrypoint[0] ?? '')) problems.push(`ENTRYPOINT ${JSON.stringify(entrypoint)}: PID 1 is not tini or dumb-init`);
  const cmds = runtime.instructions.filter((i) => keywordOf(i) === 'CMD');
  const cmd = cmds.at(-1) ? execForm(cmds.at(-1)!) : undefined;
  if (!cmd || cmd[0] !== 'node' || !cmd.some((a) => a.endsWith('dist/main.js'))) problems.push(`CMD ${JSON.stringify(cmd)}: not "node dist/main.js" in exec form`);
  else if (!cmd.includes(`--env-file=${APP_ENV_FILE}`)) problems.push(`CMD ${JSON.stringify(cmd)}: does not load the app's environment (--env-file=${APP_ENV_FILE})`);
  const workdirs = runtime.instructions.filter((i) => keywordOf(i) === 'WORKDIR').map((i) => argsOf(i).trim());
  if (workdirs.at(-1) !== '/app/apps/${APP}') problems.push(`final WORKDIR ${workdirs.at(-1)} is not /app/apps/\${APP}`);

  // HEALTHCHECK without curl/wget, without the preload, probing the app's own target.
  const healthchecks = runtime.instructions.filter((i) => keywordOf(i) === 'HEALTHCHECK');
  if (healthchecks.length === 0) problems.push('no HEALTHCHECK');
  else {
    const hc = argsOf(healthchecks.at(-1)!);
    if (/\bNONE\b/.test(hc) && !/CMD/.test(hc)) problems.push('HEALTHCHECK NONE');
    if (/\b(curl|wget)\b/.test(hc)) problems.push('HEALTHCHECK uses curl/wget (not in the image; use node)');
    if (!/NODE_OPTIONS=(\s|"|,)/.test(hc)) problems.push('HEALTHCHECK does not clear NODE_OPTIONS: every probe would start the telemetry SDK');
    if (!hc.includes(`--env-file=${APP_ENV_FILE}`) || !hc.includes('healthcheck.cjs')) problems.push(`HEALTHCHECK does not run healthcheck.cjs with the app's environment (--env-file=${APP_ENV_FILE})`);
  }

  // Telemetry settings: the preload, OTLP/HTTP to the Collector, standard names only.
  const env = stageEnv(runtime);
  if (!(env.get('NODE_OPTIONS') ?? '').includes('--require @mcp/otel-bootstrap/register')) problems.push('ENV NODE_OPTIONS does not preload @mcp/otel-bootstrap/register');
  if (env.get('OTEL_EXPORTER_OTLP_ENDPOINT') !== 'http://otel-collector:4318') problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT is ${env.get('OTEL_EXPORTER_OTLP_ENDPOINT')}, not http://otel-collector:4318`);
  if (env.get('OTEL_EXPORTER_OTLP_PROTOCOL') !== 'http/protobuf') problems.push('OTEL_EXPORTER_OTLP_PROTOCOL is not http/protobuf');
  for (const name of ['OTEL_SERVICE_NAME', 'PORT', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS']) if (env.has(name)) problems.push(`ENV ${name}: an app's own setting, it belongs in deploy/apps.json (the image's ${APP_ENV_FILE})`);
  for (const [name, value] of env) {
    if (value.includes('$(')) problems.push(`ENV ${name} contains $(...): a Dockerfile does not expand it`);
    if (['OTEL_SERVICE_VERSION', 'OTEL_IMR_EXPORT_INTERVAL', 'OTEL_IMR_MAX_EXPORT_BATCH_SIZE', 'OTEL_EXPORTER_OTLP_INSECURE'].includes(name)) problems.push(`ENV ${name}: not a standard variable (or meaningless for OTLP/HTTP)`);
    if (/^OTEL_EXPORTER_(JAEGER|ZIPKIN)/.test(name) || /jaeger/i.test(value)) problems.push(`ENV ${name}: apps know only the Collector`);
  }
  if (env.get('NODE_ENV') !== 'production') problems.push('NODE_ENV is not production');
  if (!kw.includes('EXPOSE')) problems.push('no EXPOSE');

  // Only the pruned production closure reaches the runtime stage.
  for (const instruction of runtime.instructions) {
    if (keywordOf(instruction) !== 'COPY' && keywordOf(instruction) !== 'ADD') continue;
    const args = argsOf(instruction);
    if (!/--from=/.test(args)) problems.push(`runtime ${keywordOf(instruction)} ${args.trim()}: copies from the build context, not from the pruned build output`);
    else if (!/--from=\S+\s+\/out\b/.test(args)) problems.push(`runtime COPY ${args.trim()}: only /out (the pruned closure) may be copied`);
  }
  const buildRuns = stages
    .slice(0, -1)
    .flatMap((s) => s.instructions)
    .filter((i) => keywordOf(i) === 'RUN')
    .map(argsOf);
  if (!buildRuns.some((r) => r.includes('prune-workspace.cjs "apps/${APP}" /out'))) problems.push('no RUN of prune-workspace.cjs "apps/${APP}" /out');
  if (!buildRuns.some((r) => r.includes('app-facts.cjs env "${APP}"') && r.includes(`/out/app.env`))) problems.push(`the app's environment is not written from deploy/apps.json into /out/app.env`);
  if (!buildRuns.some((r) => /\bnpm ci\b/.test(r))) problems.push('dependencies are not installed with npm ci (lockfile)');
  const compiled = buildRuns.findIndex((r) => r.includes('tsc --build "apps/${APP}/tsconfig.app.json"'));
  if (compiled === -1) problems.push('the app is not compiled in the image (tsc --build "apps/${APP}/tsconfig.app.json")');
  // tsc alone leaves the preload unbundled: it works, but loads the SDK as hundreds of modules.
  const libsCompiled = buildRuns.findIndex((r) => r.includes('tsc --build libs/'));
  const bundled = buildRuns.findIndex((r) => r.includes('libs/otel-bootstrap/scripts/bundle.mjs'));
  if (bundled === -1 || bundled < libsCompiled) problems.push('the preload is not bundled after tsc (RUN node libs/otel-bootstrap/scripts/bundle.mjs)');
  return problems;
}
