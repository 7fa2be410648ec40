import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // These two extend the workspace-root configs by relative path on purpose.
    files: ['eslint.config.mjs', 'vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
