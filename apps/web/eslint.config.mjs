import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // These extend the workspace-root configs by relative path on purpose.
    files: ['eslint.config.mjs', 'vitest.config.ts', 'vite.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // Vite is the build tool (a devDependency), not something the page ships.
    files: ['**/*.json'],
    rules: {
      '@nx/dependency-checks': [
        'error',
        {
          ignoredFiles: ['{projectRoot}/eslint.config.{js,cjs,mjs}', '{projectRoot}/vitest.config.{js,ts,mjs,mts}', '{projectRoot}/vite.config.{js,ts,mjs,mts}', '{projectRoot}/test/**/*'],
          ignoredDependencies: ['tslib'],
        },
      ],
    },
  },
];
