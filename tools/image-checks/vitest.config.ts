import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

// One file, one worker: the builds take both cores, the containers share the host's network.
export default mergeConfig(sharedTestConfig, { test: { fileParallelism: false } });
