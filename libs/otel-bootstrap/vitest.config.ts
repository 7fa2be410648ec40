import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

/**
 * Every test once, with the fixtures as written (CommonJS); and the instrumentation tests a second
 * time with each fixture as an ES module that imports its libraries (test/support/esm-flavour.ts):
 * one test table, two module systems.
 */
const INSTRUMENTATION_TESTS = [
  'test/http-frameworks.test.ts',
  'test/incoming-requests.test.ts',
  'test/outgoing-requests.test.ts',
  'test/databases.test.ts',
  'test/graphql.test.ts',
  'test/grpc.test.ts',
  'test/socket-io.test.ts',
  'test/metrics-and-logs.test.ts',
  'test/propagation.test.ts',
  'test/http-server.test.ts',
];

export default mergeConfig(sharedTestConfig, {
  test: {
    projects: [
      { extends: true, test: { name: 'commonjs' } },
      // Not `extends`: that would add the shared include list to this one.
      { ...sharedTestConfig, test: { ...sharedTestConfig.test, name: 'esm', include: INSTRUMENTATION_TESTS, env: { MCP_FIXTURE_FLAVOUR: 'esm' } } },
    ],
  },
});
