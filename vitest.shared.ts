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
    reporters: process.env['CI'] ? ['default'] : ['default'],
    passWithNoTests: false,
  },
});
