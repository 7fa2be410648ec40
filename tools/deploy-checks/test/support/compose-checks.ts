import Ajv2019 from 'ajv/dist/2019';
import { imageProblem } from './images';
import { APPS, isObject, keepsState, readRepoFile, runtimeEnv, STATE_DIR } from './repo';

const APP_SERVICES = APPS.map((app) => app.name);

/**
 * Everything compose publishes, each on 127.0.0.1 only: the frontend, the hub's Socket.IO (the web
 * page connects to it) and the UIs a person opens. Data stores, the Collector and the other services
 * stay inside the compose network. The README's "What is exposed where" table says the same.
 */
export const PUBLISHED_PORTS: Record<string, string[]> = {
  frontend: ['127.0.0.1:3000:3000'],
  'collaboration-hub': ['127.0.0.1:3002:3002'],
  jaeger: ['127.0.0.1:16686:16686'],
  prometheus: ['127.0.0.1:9090:9090'],
  grafana: ['127.0.0.1:3300:3000'],
};

/** Variables that must come from the operator (`${NAME:?message}`), never from a default in this file. */
const REQUIRED_SECRETS: Record<string, string[]> = {
  frontend: ['USER_HASH_KEY'],
  'workflow-orchestrator': ['INTERNAL_API_SECRET'],
  'collaboration-hub': ['INTERNAL_API_SECRET'],
  grafana: ['GF_SECURITY_ADMIN_PASSWORD'],
};

/** `ports:` entries as `host_ip:published:target` (short or long syntax); no host_ip reads as 0.0.0.0, as Docker binds it. */
function publishedPorts(service: Service): string[] {
  return (Array.isArray(service['ports']) ? (service['ports'] as unknown[]) : []).map((entry) => {
    if (isObject(entry)) return `${String(entry['host_ip'] ?? '0.0.0.0')}:${String(entry['published'] ?? '')}:${String(entry['target'])}`;
    const parts = String(entry).replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length === 1) return `0.0.0.0::${parts[0]}`;
    if (parts.length === 2) return `0.0.0.0:${parts[0]}:${parts[1]}`;
    return parts.join(':');
  });
}
const COLLECTOR_ENDPOINT = 'http://otel-collector:4318';

let validateSchema: ReturnType<Ajv2019['compile']> | undefined;
/** The Compose specification's JSON schema (vendored, see schemas/README.md). */
function composeSchemaValidator() {
  if (!validateSchema) {
    const schema = JSON.parse(readRepoFile('tools/deploy-checks/schemas/compose-spec.schema.json')) as Record<string, unknown>;
    delete schema['$schema'];
    // This schema version still labels subschemas with draft-04 `id` ("#/properties/services"),
    // which Ajv refuses; they are labels only (no $ref points at them), so they are dropped.
    dropIdLabels(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    validateSchema = ajv.compile(schema);
  }
  return validateSchema;
}

function dropIdLabels(node: unknown): void {
  if (Array.isArray(node)) node.forEach(dropIdLabels);
  else if (isObject(node)) {
    if (typeof node['id'] === 'string' && /^(#|compose_spec)/.test(node['id'])) delete node['id'];
    Object.values(node).forEach(dropIdLabels);
  }
}

type Service = Record<string, unknown>;

function envOf(service: Service): Record<string, string> {
  const env = service['environment'];
  if (Array.isArray(env)) return Object.fromEntries(env.map((e: string) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]));
  return isObject(env) ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)])) : {};
}

function healthcheckTest(service: Service): string[] | string | undefined {
  const hc = service['healthcheck'];
  if (!isObject(hc) || hc['disable'] === true) return undefined;
  const test = hc['test'];
  if (Array.isArray(test)) return test[0] === 'NONE' ? undefined : (test as string[]);
  return typeof test === 'string' ? test : undefined;
}

/** Problems of a parsed compose file; empty when it is fine. */
export function composeProblems(compose: unknown): string[] {
  const problems: string[] = [];
  const validate = composeSchemaValidator();
  if (!validate(compose)) {
    for (const error of validate.errors ?? []) problems.push(`schema: ${error.instancePath || '/'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
  }
  if (!isObject(compose) || !isObject(compose['services'])) return [...problems, 'no services'];
  const services = compose['services'] as Record<string, Service>;

  for (const name of [...APP_SERVICES, 'redis', 'postgres', 'mongodb', 'otel-collector', 'jaeger', 'loki', 'load-generator']) {
    if (!services[name]) problems.push(`service ${name} is missing`);
  }

  for (const [name, service] of Object.entries(services)) {
    if (!isObject(service)) continue;
    const image = service['image'];
    if (typeof image !== 'string') problems.push(`${name}: no image name (a built service needs image: with a pinned tag too)`);
    else {
      const problem = imageProblem(image);
      if (problem) problems.push(`${name}: image ${problem}`);
    }
    if (!healthcheckTest(service)) problems.push(`${name}: no healthcheck`);
    const test = healthcheckTest(service);
    if (APP_SERVICES.includes(name) && Array.isArray(test)) {
      if (test.some((t) => /\b(curl|wget)\b/.test(t))) problems.push(`${name}: healthcheck uses curl/wget, which the app image does not have`);
      if (!test.includes('NODE_OPTIONS=')) problems.push(`${name}: healthcheck does not clear NODE_OPTIONS (each probe would start the SDK)`);
    }

    const dependsOn = service['depends_on'];
    if (Array.isArray(dependsOn)) problems.push(`${name}: depends_on is a list; use the long form with a condition`);
    else if (isObject(dependsOn)) {
      for (const [target, spec] of Object.entries(dependsOn)) {
        const targetService = services[target];
        if (!targetService) {
          problems.push(`${name}: depends on unknown service ${target}`);
          continue;
        }
        const condition = isObject(spec) ? spec['condition'] : undefined;
        if (condition !== 'service_healthy' && condition !== 'service_completed_successfully') problems.push(`${name}: depends on ${target} with condition ${String(condition)}, not service_healthy`);
        if (condition === 'service_healthy' && !healthcheckTest(targetService)) problems.push(`${name}: waits for ${target} to be healthy, but ${target} has no healthcheck`);
        if (Array.isArray(targetService['profiles']) && !Array.isArray(service['profiles'])) problems.push(`${name}: depends on ${target}, which only runs in profile ${String(targetService['profiles'])}`);
      }
    }
  }

  // The Collector is the only telemetry endpoint the apps know.
  for (const name of APP_SERVICES) {
    const service = services[name];
    if (!isObject(service)) continue;
    const env = envOf(service);
    if (env['OTEL_EXPORTER_OTLP_ENDPOINT'] !== COLLECTOR_ENDPOINT) problems.push(`${name}: OTEL_EXPORTER_OTLP_ENDPOINT is ${env['OTEL_EXPORTER_OTLP_ENDPOINT']}, not ${COLLECTOR_ENDPOINT}`);
    if (env['OTEL_EXPORTER_OTLP_PROTOCOL'] !== undefined && env['OTEL_EXPORTER_OTLP_PROTOCOL'] !== 'http/protobuf') problems.push(`${name}: OTEL_EXPORTER_OTLP_PROTOCOL is not http/protobuf`);
    // The app's own facts (deploy/apps.json) come with its image; compose may override, not contradict them.
    const app = APPS.find((a) => a.name === name)!;
    const build = service['build'];
    if (!isObject(build) || build['dockerfile'] !== 'deploy/docker/Dockerfile' || !isObject(build['args']) || build['args']['APP'] !== name) problems.push(`${name}: not built from deploy/docker/Dockerfile with APP=${name}`);
    const effective = { ...runtimeEnv(app), ...env };
    for (const [key, value] of Object.entries(app.telemetryEnv)) if (effective[key] !== value) problems.push(`${name}: ${key} is ${effective[key]}, deploy/apps.json says ${value}`);
    if (keepsState(app) && !((service['volumes'] as unknown[] | undefined) ?? []).some((v) => (typeof v === 'string' ? v.split(':')[1] : (v as { target?: string }).target) === STATE_DIR)) problems.push(`${name}: keeps state in ${STATE_DIR} (deploy/apps.json imageEnv) but mounts no volume there`);
    const port = effective['PORT']!;
    if (!publishedPorts(service).every((p) => p.endsWith(`:${port}`))) problems.push(`${name}: ports ${JSON.stringify(service['ports'])} do not lead to the app's port ${port}`);
    const test = healthcheckTest(service);
    if (Array.isArray(test) && !(test.includes('--env-file=/app/app.env') && test.some((t) => t.endsWith('healthcheck.cjs')))) problems.push(`${name}: healthcheck does not probe the app's own target (node --env-file=/app/app.env /app/healthcheck.cjs)`);
    for (const [key, value] of Object.entries(env)) {
      if (/^OTEL_EXPORTER_OTLP_(TRACES|METRICS|LOGS)_ENDPOINT$/.test(key) && !value.startsWith(COLLECTOR_ENDPOINT)) problems.push(`${name}: ${key} bypasses the Collector`);
      if (/jaeger|prometheus:9090/i.test(value)) problems.push(`${name}: ${key}=${value} points past the Collector`);
    }
    const deps = service['depends_on'];
    if (!isObject(deps) || !isObject(deps['otel-collector'])) problems.push(`${name}: does not wait for otel-collector`);
    const grace = String(service['stop_grace_period'] ?? '10s');
    const seconds = Number(/^(\d+)s$/.exec(grace)?.[1] ?? NaN);
    if (!(seconds > 15)) problems.push(`${name}: stop_grace_period ${grace} is not above APP_SHUTDOWN_TIMEOUT_MS + OTEL_NODE_SHUTDOWN_TIMEOUT_MS (15 s)`);
  }

  // Every address of an app names the app's port (deploy/apps.json).
  for (const [name, service] of Object.entries(services)) {
    if (!isObject(service)) continue;
    for (const [key, value] of Object.entries(envOf(service))) {
      for (const app of APPS) {
        const match = new RegExp(`(^|/)${app.name}:(\\d+)`).exec(value);
        if (match && Number(match[2]) !== app.port) problems.push(`${name}: ${key}=${value} is not ${app.name}'s port ${app.port}`);
      }
    }
  }

  // MongoDB is a single-node replica set, initiated, and the orchestrator connects to it as one.
  const mongo = services['mongodb'];
  if (isObject(mongo)) {
    const command = Array.isArray(mongo['command']) ? (mongo['command'] as string[]).join(' ') : String(mongo['command'] ?? '');
    if (!/--replSet\s+rs0/.test(command)) problems.push('mongodb: not started as replica set rs0');
    if (!JSON.stringify(mongo['healthcheck'] ?? '').includes('rs.initiate')) problems.push('mongodb: nothing initiates the replica set');
  }
  const orchestrator = services['workflow-orchestrator'];
  if (isObject(orchestrator) && !/replicaSet=rs0/.test(envOf(orchestrator)['MONGODB_URL'] ?? '')) problems.push('workflow-orchestrator: MONGODB_URL does not name replicaSet=rs0');

  // Exposure: only the listed ports, only on 127.0.0.1; secrets without a committed default.
  for (const [name, service] of Object.entries(services)) {
    if (!isObject(service)) continue;
    const published = publishedPorts(service).sort();
    const allowed = [...(PUBLISHED_PORTS[name] ?? [])].sort();
    if (JSON.stringify(published) !== JSON.stringify(allowed)) problems.push(`${name}: publishes ${published.join(', ') || 'nothing'}, expected ${allowed.join(', ') || 'nothing'}`);
    for (const port of published) if (!port.startsWith('127.0.0.1:')) problems.push(`${name}: port ${port} is published on every interface, not on 127.0.0.1`);
    const env = envOf(service);
    for (const variable of REQUIRED_SECRETS[name] ?? []) {
      if (!/^\$\{\w+:\?[^}]*\}$/.test(env[variable] ?? '')) problems.push(`${name}: ${variable} is ${JSON.stringify(env[variable])}, not a required \${VARIABLE:?message} without a default`);
    }
  }
  const grafana = services['grafana'];
  if (isObject(grafana)) {
    const env = envOf(grafana);
    if (env['GF_AUTH_ANONYMOUS_ENABLED'] === 'true' && env['GF_AUTH_ANONYMOUS_ORG_ROLE'] !== 'Viewer') problems.push(`grafana: anonymous users get role ${env['GF_AUTH_ANONYMOUS_ORG_ROLE'] ?? 'Viewer (default)'}`);
    if (env['GF_AUTH_ANONYMOUS_ENABLED'] === 'true' && env['GF_AUTH_ANONYMOUS_ORG_ROLE'] === undefined) problems.push('grafana: anonymous role not stated');
  }
  return problems;
}
