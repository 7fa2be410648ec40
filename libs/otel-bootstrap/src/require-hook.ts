import { isAbsolute } from 'node:path';
import type { Instrumentation } from '@opentelemetry/instrumentation';

type HookOptions = { internals?: boolean } | undefined;
type OnRequire = (...args: never[]) => unknown;
type HookConstructor = new (modules: string[] | null, options: HookOptions, onRequire: OnRequire) => unknown;

/** The packages and built-ins the created instrumentations patch; grows as they are created. */
const hookedModules: string[] = [];
let restricted = false;

/**
 * The instrumentation base hooks `require()` once for all instrumentations, for every module
 * (`require-in-the-middle` with no module list), so each `require()` of the app is resolved a second
 * time from its package's base directory — some 1,700 times for a small service, +6 MB RSS with
 * nothing patched (BENCHMARKS.md). Given the list of the modules the instrumentations patch, the
 * hook still sees every require but resolves again only those. The list is the one array handed to
 * the hook, filled by {@link hookModulesOf} as instrumentations are created (a library's is created
 * before the library loads). Must run before the first instrumentation is created.
 */
export function restrictRequireHook(): void {
  if (restricted) return;
  restricted = true;
  const ritm = require('require-in-the-middle') as { Hook: HookConstructor };
  const Hook = ritm.Hook;
  ritm.Hook = function HookOfInstrumentedModules(modules: string[] | null, options: HookOptions, onRequire: OnRequire) {
    return new Hook(modules ?? hookedModules, options, onRequire);
  } as unknown as HookConstructor;
}

/** Adds the modules an instrumentation patches to the hook's list. */
export function hookModulesOf(instrumentation: Instrumentation): void {
  // Instrumentations made with the instrumentation base have their definitions; others hook nothing.
  const definitions = (instrumentation as { getModuleDefinitions?: () => Array<{ name: string }> }).getModuleDefinitions?.() ?? [];
  for (const { name } of definitions) {
    if (!isAbsolute(name) && !hookedModules.includes(name)) hookedModules.push(name);
  }
}

/** What the hook looks at now (for tests and diagnostics). */
export function hookedModuleNames(): readonly string[] {
  return hookedModules;
}
