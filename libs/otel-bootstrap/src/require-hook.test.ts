import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { hookedModuleNames, hookModulesOf, restrictRequireHook } from './require-hook';

const requireHere = createRequire(__filename);

describe('the require hook of the instrumentation base, restricted to the instrumented modules', () => {
  it('a hook made with no module list only sees the modules the created instrumentations patch', () => {
    restrictRequireHook();
    hookModulesOf({ getModuleDefinitions: () => [{ name: 'fastify' }, { name: '/an/absolute/file.js' }, { name: 'fastify' }] } as never);
    expect(hookedModuleNames()).toEqual(['fastify']);

    const ritm = requireHere('require-in-the-middle') as { Hook: new (modules: null, options: object, onRequire: (exports: unknown, name: string) => unknown) => { unhook(): void } };
    const seen: string[] = [];
    const hook = new ritm.Hook(null, { internals: true }, (exports, name) => {
      seen.push(name);
      return exports;
    });
    try {
      requireHere('fastify');
      requireHere('koa');
    } finally {
      hook.unhook();
    }
    expect(seen).toContain('fastify');
    expect(seen.filter((name) => name.startsWith('koa'))).toEqual([]);
    // Later instrumentations add theirs to the same list: the existing hook sees them from then on.
    hookModulesOf({ getModuleDefinitions: () => [{ name: 'koa' }] } as never);
    expect(hookedModuleNames()).toEqual(['fastify', 'koa']);
  });
});
