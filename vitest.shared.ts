import { defineConfig } from 'vitest/config';

// Tests import workspace libs from source (the "@mcp/source" export condition); child processes
// started by integration tests run the compiled output, as production does.
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ['@mcp/source', 'node', 'require', 'default'] },
  ssr: { resolve: { conditions: ['@mcp/source', 'node', 'require', 'default'] } },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report lets tools/scripts/test.sh print one closing "N passed, N failed" line for all projects.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    passWithNoTests: false,
  },
});
