import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

// Unit tests of the page's pure modules (the browser itself is exercised by tools/system-tests).
export default mergeConfig(sharedTestConfig, {
  resolve: { conditions: ['browser', 'import', 'default'] },
});
