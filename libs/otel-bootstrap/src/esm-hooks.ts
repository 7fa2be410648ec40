/**
 * ES modules are instrumented through Node's in-thread, synchronous module hooks
 * (`module.registerHooks`, via import-in-the-middle's `register-hooks.mjs`): an `import` of a
 * library our instrumentations patch is wrapped so the patch reaches the importing module. Only
 * those libraries are wrapped: the hook is asked about every import but answers yes for the handful
 * of packages in the require hook's list, and creates a library's instrumentation on the library's
 * first import, exactly as the CommonJS path does on its first `require()`. Wrapping every module
 * an app imports is what made the ESM hook cost +0.3 s and +30–40 MB of start-up (README, "ESM or
 * CommonJS"). Registered only when the entry is an ES module: a CommonJS app loads none of this.
 */
import { isBuiltin } from 'node:module';
import { libraryLoading, packageNameOf } from './instrumentations';
import { load } from './packages';

const NODE_MODULES = '/node_modules/';

/**
 * The package a module belongs to: `http` for `node:http`, `express` for
 * `file:///app/node_modules/express/index.js`, `@redis/client` for a file inside it; undefined for
 * the app's own files.
 */
export function packageOfModule(url: string, specifier: string): string | undefined {
  if (url.startsWith('node:')) return url.slice(5);
  if (isBuiltin(specifier)) return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  const at = url.lastIndexOf(NODE_MODULES);
  return at === -1 ? undefined : packageNameOf(url.slice(at + NODE_MODULES.length));
}

let registered = false;

/** Registers the loader hook; `hooked` is the live list of packages the instrumentations patch. */
export function registerEsmHooks(hooked: () => readonly string[]): void {
  if (registered) return;
  registered = true;
  load.iitmRegisterHooks().register({
    shouldInclude(url, specifier) {
      const name = packageOfModule(url, specifier);
      if (name === undefined) return false;
      libraryLoading(name);
      return hooked().includes(name);
    },
  });
}
