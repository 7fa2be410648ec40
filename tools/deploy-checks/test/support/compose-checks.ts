import Ajv2019 from 'ajv/dist/2019';
import { imageProblem } from './images';
import { isObject, readRepoFile } from './repo';

const APP_SERVICES = ['frontend', 'workflow-orchestrator', 'model-router', 'collaboration-hub'];
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

  for (const name of [...APP_SERVICES, 'redis', 'postgres', 'mongodb', 'otel-collector', 'jaeger', 'load-generator']) {
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
    if (env['OTEL_SERVICE_NAME'] !== name) problems.push(`${name}: OTEL_SERVICE_NAME is ${env['OTEL_SERVICE_NAME']}`);
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

  // MongoDB is a single-node replica set, initiated, and the orchestrator connects to it as one.
  const mongo = services['mongodb'];
  if (isObject(mongo)) {
    const command = Array.isArray(mongo['command']) ? (mongo['command'] as string[]).join(' ') : String(mongo['command'] ?? '');
    if (!/--replSet\s+rs0/.test(command)) problems.push('mongodb: not started as replica set rs0');
    if (!JSON.stringify(mongo['healthcheck'] ?? '').includes('rs.initiate')) problems.push('mongodb: nothing initiates the replica set');
  }
  const orchestrator = services['workflow-orchestrator'];
  if (isObject(orchestrator) && !/replicaSet=rs0/.test(envOf(orchestrator)['MONGODB_URL'] ?? '')) problems.push('workflow-orchestrator: MONGODB_URL does not name replicaSet=rs0');

  const jaeger = services['jaeger'];
  if (isObject(jaeger) && !JSON.stringify(jaeger['ports'] ?? []).includes('16686:16686')) problems.push('jaeger: UI port 16686 not published');
  return problems;
}
