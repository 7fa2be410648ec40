import { createRequire } from 'node:module';
import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

// graphql ships CommonJS (main) and ESM (module) builds. Vite would load the ESM one for src/ while
// graphql-http, loaded by Node, requires the CommonJS one: two graphql instances, and schemas from one
// are rejected by the other ("from another module or realm"). Production is CommonJS throughout, so
// the tests use the CommonJS build too.
const graphqlCommonJs = createRequire(__filename).resolve('graphql');

export default mergeConfig(sharedTestConfig, {
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCommonJs }] },
});
