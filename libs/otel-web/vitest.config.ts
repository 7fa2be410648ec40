import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

// Browser code: resolve the packages' browser builds, as Vite does for the page.
export default mergeConfig(sharedTestConfig, {
  resolve: { conditions: ['browser', 'import', 'default'] },
});
