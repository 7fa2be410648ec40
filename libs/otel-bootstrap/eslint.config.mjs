import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    files: ['**/*.json'],
    rules: {
      // As the base config, and scripts/ (the bundler, run at build time) is not shipped code.
      '@nx/dependency-checks': [
        'error',
        {
          ignoredFiles: [
            '{projectRoot}/eslint.config.{js,cjs,mjs}',
            '{projectRoot}/vitest.config.{js,ts,mjs,mts}',
            '{projectRoot}/test/**/*',
            '{projectRoot}/scripts/**/*',
          ],
          ignoredDependencies: ['tslib'],
        },
      ],
    },
  },
];
