/**
 * The dependency rules of the workspace, as lint enforces them: code is linted in place (in memory,
 * at a path inside a real project) and the rule must report each forbidden import, and accept the
 * allowed ones.
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(relativePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, relativePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('@nx/enforce-module-boundaries', () => {
  it.each([
    ['an app importing another app', 'apps/frontend/src/probe.ts', "import '@mcp/model-router';"],
    ['an app importing the SDK', 'apps/frontend/src/probe.ts', "import { TracerProvider } from '@opentelemetry/sdk-trace';\nexport const p = TracerProvider;"],
    ['an app importing an instrumentation', 'apps/workflow-orchestrator/src/probe.ts', "import '@opentelemetry/instrumentation-http';"],
    ['a lib importing the SDK', 'libs/mcp-metrics/src/probe.ts', "import { MeterProvider } from '@opentelemetry/sdk-metrics';\nexport const p = MeterProvider;"],
    ['a lib importing an app', 'libs/service-kit/src/probe.ts', "import '@mcp/frontend';"],
    ['a lib importing the telemetry bootstrap', 'libs/mcp-metrics/src/probe.ts', "import '@mcp/otel-bootstrap';"],
    ['the bootstrap importing a lib', 'libs/otel-bootstrap/src/probe.ts', "import '@mcp/service-kit';"],
    ['contracts importing a lib', 'libs/contracts/src/probe.ts', "import '@mcp/service-kit';"],
    ['an app importing test support outside tests', 'apps/frontend/src/probe.ts', "import '@mcp/otlp-receiver';"],
  ])('reports %s', async (_case, path, code) => {
    expect(await boundaryErrors(path, code)).not.toEqual([]);
  });

  it.each([
    ['an app importing libs, contracts and the bootstrap API', 'apps/frontend/src/probe.ts', "import '@mcp/service-kit';\nimport '@mcp/contracts';\nimport '@mcp/mcp-metrics';\nimport '@mcp/otel-bootstrap';\nimport '@opentelemetry/api';"],
    ['the bootstrap importing the SDK', 'libs/otel-bootstrap/src/probe.ts', "import { TracerProvider } from '@opentelemetry/sdk-trace';\nexport const p = TracerProvider;"],
    ['the bootstrap importing a constant of the contracts', 'libs/otel-bootstrap/src/probe.ts', "import { REQUEST_DURATION_BUCKETS_SECONDS } from '@mcp/contracts/duration-buckets';\nexport const b = REQUEST_DURATION_BUCKETS_SECONDS;"],
    ['an app test importing test support', 'apps/frontend/test/probe.test.ts', "import '@mcp/otlp-receiver';\nimport '@mcp/test-kit';"],
    ['a benchmark script importing the test kit (the workflow bench starts the services with it)', 'tools/bench/src/probe.ts', "import '@mcp/test-kit/services';"],
  ])('accepts %s', async (_case, path, code) => {
    expect(await boundaryErrors(path, code)).toEqual([]);
  });
});
