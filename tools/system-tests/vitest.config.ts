import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

// The live telemetry check of the whole run: see test/support/telemetry-check.global.ts.
export default mergeConfig(sharedTestConfig, { test: { globalSetup: ['test/support/telemetry-check.global.ts'] } });
