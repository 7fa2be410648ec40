// Sums the vitest JSON reports of every project into the one closing line CI reads.
import { readFileSync, globSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0, files = 0;
for (const file of globSync('{apps,libs,tools}/*/test-results/vitest.json')) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  files += 1;
  passed += report.numPassedTests ?? 0;
  // A test file that failed with no failing test (it did not load, a hook threw) counts once; vitest's
  // numFailedTestSuites also counts every describe block around a failing test, so it is not added.
  const brokenFiles = (report.testResults ?? []).filter((r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
if (files === 0) {
  console.log('Tests: 0 passed, 1 failed (no test report was written)');
  process.exit(1);
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
