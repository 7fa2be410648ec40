import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, stopApps } from './support/app-process';
import { committedSecrets, secretValuesIn } from './support/committed-secrets';
import { kustomizationDir, podSpecOf, renderKustomization } from './support/kustomize';

// The apps' own secrets (INTERNAL_API_SECRET, USER_HASH_KEY): no value written in this repository
// may start a production process. Which app takes which secret is read from the manifests (the
// env entries that come from the mcp-app-secrets Secret); the values from every tracked file.
type Env = { name: string; valueFrom?: { secretKeyRef?: { name: string } } };
const takers = renderKustomization(kustomizationDir('base'))
  .filter((o) => o.kind === 'Deployment')
  .flatMap((deployment) =>
    ((podSpecOf(deployment)!['containers'] as Array<{ env?: Env[] }>)[0]!.env ?? [])
      .filter((e) => e.valueFrom?.secretKeyRef?.name === 'mcp-app-secrets')
      .map((e) => ({ app: deployment.metadata.name, variable: e.name })),
  );
const committed = committedSecrets();

afterEach(stopApps);

interface Outcome {
  code: number | null;
  output: string;
  listening: boolean;
}

/** Runs the app with NODE_ENV=production, as the images do, until it exits or listens. */
async function runApp(app: string, secrets: Record<string, string>): Promise<Outcome> {
  const run = await startApp(app, { NODE_ENV: 'production', ...secrets });
  run.stop();
  return { code: run.code, output: run.output(), listening: run.port !== undefined };
}

/** At most `limit` at once: the machine is shared. */
async function inPool<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await run(items[index]!);
      }
    }),
  );
  return results;
}

describe('the committed-secret scanner', () => {
  it('finds values in every form the repository writes them, and none computed at run time', () => {
    const yaml = [
      '      INTERNAL_API_SECRET: ${INTERNAL_API_SECRET:-compose-internal-secret}',
      '      USER_HASH_KEY: ${USER_HASH_KEY:?set it in .env}',
      '  internal-api-secret: local-internal-secret-change-me',
      '  user-hash-key: "quoted-hash-key"',
      '| `INTERNAL_API_SECRET` | `table-default` (warning logged) |',
      'kubectl create secret generic x --from-literal=user-hash-key="$(openssl rand -hex 32)"',
      "printf 'INTERNAL_API_SECRET=%s\\n' \"$(openssl rand -hex 32)\" > .env",
      '            - name: INTERNAL_API_SECRET',
      '                  key: internal-api-secret',
    ].join('\n');
    expect(secretValuesIn(yaml, true).sort()).toEqual(['compose-internal-secret', 'local-internal-secret-change-me', 'quoted-hash-key', 'table-default'].sort());
    const code = "const config = configFrom({ INTERNAL_API_SECRET: 'test-secret', USER_HASH_KEY: secret });\nexport const DEVELOPMENT_INTERNAL_API_SECRET = 'dev-secret';\nfetch(u, { headers: { 'x-internal-secret': `s-${id}` } });";
    expect(secretValuesIn(code, false).sort()).toEqual(['dev-secret', 'test-secret']);
  });

  it('finds the development default and the test values in this repository', () => {
    const values = committed.map((c) => c.value);
    expect(values).toContain('dev-secret');
    expect(values).toContain('test-secret');
  });
});

describe('a production process refuses every secret value written in this repository', () => {
  it('the manifests give the hub and the orchestrator INTERNAL_API_SECRET, the frontend USER_HASH_KEY', () => {
    expect(takers.map((t) => `${t.app}:${t.variable}`).sort()).toEqual(['collaboration-hub:INTERNAL_API_SECRET', 'frontend:USER_HASH_KEY', 'workflow-orchestrator:INTERNAL_API_SECRET']);
  });

  it('exits 78 naming the variable, for each committed value and for unset, in each app that takes it', { timeout: 600_000 }, async () => {
    const cases = takers.flatMap((t) => [{ ...t, value: undefined as string | undefined, where: 'unset' }, ...committed.map((c) => ({ ...t, ...c }))]);
    const outcomes = await inPool(cases, 3, (c) => runApp(c.app, c.value === undefined ? {} : { [c.variable]: c.value }));
    const refused = cases.filter((c, i) => outcomes[i]!.code === 78 && outcomes[i]!.output.includes(`invalid configuration:\n  - ${c.variable}: is `) && outcomes[i]!.output.includes('production needs a secret of its own'));
    const accepted = cases.filter((c) => !refused.includes(c)).map((c) => `${c.app} ${c.variable}=${String(c.value)} (${c.where}): ${outcomes[cases.indexOf(c)]!.code} ${outcomes[cases.indexOf(c)]!.output.slice(0, 300)}`);
    expect(accepted).toEqual([]);
    // The figure of RELIABILITY.md.
    console.log(`refused: ${refused.length} starts (${committed.length} committed values + unset, × ${takers.length} app/secret pairs)`);
  });

  it('starts with a random secret of 32 bytes in each app (the check refuses only what it should)', { timeout: 120_000 }, async () => {
    const outcomes = await inPool(takers, 3, (t) => runApp(t.app, { [t.variable]: randomBytes(32).toString('hex') }));
    expect(outcomes.map((o, i) => `${takers[i]!.app}: ${o.listening ? 'listening' : `${o.code} ${o.output.slice(0, 300)}`}`)).toEqual(takers.map((t) => `${t.app}: listening`));
  });
});
