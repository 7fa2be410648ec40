import nx from '@nx/eslint-plugin';

// Only @mcp/otel-bootstrap may load the SDK, exporters and instrumentations: everything else
// talks to OpenTelemetry through @opentelemetry/api, so a service never depends on an SDK version.
const sdkPackages = [
  '@opentelemetry/sdk-*',
  '@opentelemetry/exporter-*',
  '@opentelemetry/instrumentation',
  '@opentelemetry/instrumentation-*',
  '@opentelemetry/resources',
  '@opentelemetry/resource-detector-*',
  '@opentelemetry/core',
  '@opentelemetry/context-*',
  '@opentelemetry/otlp-*',
  '@opentelemetry/auto-instrumentations-node',
  '@fastify/otel',
  'import-in-the-middle',
  'require-in-the-middle',
];

const boundaries = (testFiles) => ({
  enforceBuildableLibDependency: true,
  allow: [],
  depConstraints: [
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: ['type:lib', 'type:telemetry', 'type:contracts', ...(testFiles ? ['type:test-support'] : [])],
      bannedExternalImports: sdkPackages,
    },
    {
      sourceTag: 'type:lib',
      onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', ...(testFiles ? ['type:telemetry', 'type:test-support'] : [])],
      bannedExternalImports: sdkPackages,
    },
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: sdkPackages },
    {
      sourceTag: 'type:test-support',
      onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:test-support'],
      bannedExternalImports: sdkPackages,
    },
    {
      // The bootstrap may take constants shared with the other hops (histogram buckets) from the contracts.
      sourceTag: 'type:telemetry',
      onlyDependOnLibsWithTags: testFiles ? ['type:test-support', 'type:lib', 'type:contracts'] : ['type:contracts'],
    },
    {
      sourceTag: 'type:e2e',
      onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:test-support'],
      bannedExternalImports: sdkPackages,
    },
    {
      sourceTag: 'type:tool',
      onlyDependOnLibsWithTags: ['type:lib', 'type:telemetry', 'type:contracts', 'type:test-support'],
    },
  ],
});

const testGlobs = ['**/test/**/*.ts', '**/*.test.ts', '**/*.spec.ts', '**/vitest.config.ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', '**/.cache', '**/.nx', '**/vite.config.*.timestamp*', '**/vitest.config.*.timestamp*'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(false)],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: testGlobs,
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(true)],
    },
  },
  {
    // Project config files extend the workspace ones by relative path; that is not a module boundary.
    files: ['**/eslint.config.mjs', '**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.json'],
    languageOptions: { parser: await import('jsonc-eslint-parser') },
    rules: {
      '@nx/dependency-checks': [
        'error',
        {
          ignoredFiles: ['{projectRoot}/eslint.config.{js,cjs,mjs}', '{projectRoot}/vitest.config.{js,ts,mjs,mts}', '{projectRoot}/test/**/*'],
          ignoredDependencies: ['tslib'],
        },
      ],
    },
  },
];
