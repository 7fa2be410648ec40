import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appDockerfileProblems, parseDockerfile } from './support/dockerfile-checks';
import { imageProblem } from './support/images';
import { APPS, readRepoFile, repoPath } from './support/repo';

describe('app images: apps/<app>/Dockerfile', () => {
  for (const app of APPS) {
    it(`${app.name}: pinned Node 24, multi-stage, pruned closure, non-root, tini, curl-less healthcheck, preload, OTLP/HTTP to the Collector`, () => {
      const content = readRepoFile('apps', app.name, 'Dockerfile');
      expect(appDockerfileProblems(content, { app: app.name, port: app.port, health: app.health })).toEqual([]);
    });

    it(`${app.name}: the Dockerfile-specific ignore file keeps host builds and dependencies out of the context`, () => {
      const ignore = readRepoFile('apps', app.name, 'Dockerfile.dockerignore').split('\n');
      for (const pattern of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.git', '**/.env']) expect(ignore).toContain(pattern);
      expect(readRepoFile('.dockerignore')).toBe(readRepoFile('apps', app.name, 'Dockerfile.dockerignore'));
    });
  }

  it('the four Dockerfiles differ only in the app name, port, description and health target', () => {
    const normalise = (app: (typeof APPS)[number]) =>
      readRepoFile('apps', app.name, 'Dockerfile')
        // The frontend alone also builds the web page it serves (checked on its own below).
        .replace(/^# ---- frontend only:[\s\S]*?^# ---- end frontend only\n/m, '')
        .replaceAll(app.health, '<health>')
        .replaceAll(app.name, '<app>')
        .replaceAll(String(app.port), '<port>')
        .replace(/^# The image of @mcp\/<app> \(.*\)\.$/m, '# The image of @mcp/<app> (<what>).');
    const [first, ...rest] = APPS.map(normalise);
    for (const other of rest) expect(other).toBe(first);
  });

  it('the frontend image builds the web page into /app/apps/web/dist, where the frontend serves it from', () => {
    const frontend = readRepoFile('apps', 'frontend', 'Dockerfile');
    const block = /^# ---- frontend only:[\s\S]*?^# ---- end frontend only$/m.exec(frontend)?.[0] ?? '';
    expect(block).toMatch(/^COPY apps\/web \.\/apps\/web$/m);
    expect(block).toMatch(/vite build/);
    expect(block).toMatch(/cp -r dist \/out\/apps\/web\/dist/);
    for (const app of APPS.filter((a) => a.name !== 'frontend')) expect(readRepoFile('apps', app.name, 'Dockerfile')).not.toMatch(/frontend only/);
  });

  it('the Collector image adds only a pinned static busybox for the compose healthcheck', () => {
    const { stages, syntaxErrors } = parseDockerfile(readRepoFile('deploy/otel-collector/Dockerfile'));
    expect(syntaxErrors).toEqual([]);
    expect(stages.map((s) => s.image)).toEqual(['busybox:1.37.0-musl', 'otel/opentelemetry-collector-contrib:0.160.0']);
    for (const stage of stages) expect(imageProblem(stage.image)).toBeUndefined();
  });

  it('the scripts the images copy exist', () => {
    expect(existsSync(repoPath('deploy/docker/prune-workspace.cjs'))).toBe(true);
    expect(existsSync(repoPath('deploy/docker/healthcheck.cjs'))).toBe(true);
  });
});

describe('the Dockerfile checks fail on broken variants', () => {
  const app = APPS[0];
  const good = readRepoFile('apps', app.name, 'Dockerfile');
  const expectations = { app: app.name, port: app.port, health: app.health };
  const rows: Array<[string, (s: string) => string, RegExp]> = [
    ['an unpinned base image', (s) => s.replace('node:24.21.0-bookworm-slim', 'node:24-bookworm-slim'), /not a pinned Node 24 image/],
    ['a latest base image', (s) => s.replace('node:24.21.0-bookworm-slim', 'node:latest'), /tag "latest" is not a pin/],
    ['a base image without a tag', (s) => s.replace('node:24.21.0-bookworm-slim', 'node'), /no tag/],
    ['no USER', (s) => s.replace(/^USER .*$/m, ''), /no USER/],
    ['USER root', (s) => s.replace(/^USER .*$/m, 'USER root'), /runs as root/],
    ['a named user', (s) => s.replace(/^USER .*$/m, 'USER node'), /numeric uid/],
    ['no HEALTHCHECK', (s) => s.replace(/^HEALTHCHECK[\s\S]*?\n(?=ENTRYPOINT)/m, ''), /no HEALTHCHECK/],
    ['a curl healthcheck', (s) => s.replace(/CMD \["\/usr\/bin\/env".*\]/, 'CMD curl -f http://127.0.0.1:3000/health'), /curl\/wget/],
    ['a healthcheck that keeps the preload', (s) => s.replace('"/usr/bin/env", "NODE_OPTIONS=", ', ''), /does not clear NODE_OPTIONS/],
    ['node as PID 1', (s) => s.replace('ENTRYPOINT ["/usr/bin/tini", "--"]', 'ENTRYPOINT ["node"]'), /not tini or dumb-init/],
    ['no preload', (s) => s.replace('NODE_OPTIONS="--require @mcp/otel-bootstrap/register"', 'NODE_OPTIONS=""'), /does not preload/],
    ['the seed gRPC endpoint', (s) => s.replace('http://otel-collector:4318', 'http://otel-collector-gateway:4317'), /OTEL_EXPORTER_OTLP_ENDPOINT/],
    ['the seed protocol', (s) => s.replace('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf', 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc'), /not http\/protobuf/],
    ['an unexpanded $(HOSTNAME)', (s) => s.replace('deployment.environment.name=production', 'service.instance.id=$(HOSTNAME)'), /does not expand/],
    ['a non-standard OTEL_SERVICE_VERSION', (s) => s.replace('    PORT=', '    OTEL_SERVICE_VERSION=1.0.0 \\\n    PORT='), /not a standard variable/],
    ['node_modules of the build copied in', (s) => s.replace('COPY --from=build /out ./', 'COPY --from=build /out ./\nCOPY --from=build /workspace/node_modules ./node_modules'), /only \/out/],
    ['the context copied into the runtime', (s) => s.replace('COPY --from=build /out ./', 'COPY --from=build /out ./\nCOPY . .'), /from the build context/],
    ['no prune step', (s) => s.replace(/RUN node deploy\/docker\/prune-workspace\.cjs[^\n]*/, 'RUN mkdir /out'), /prune-workspace/],
    ['the preload left unbundled', (s) => s.replace('RUN node libs/otel-bootstrap/scripts/bundle.mjs\n', ''), /not bundled/],
    ['npm install instead of npm ci', (s) => s.replace('npm ci --ignore-scripts', 'npm install'), /npm ci/],
    ['a syntax error', (s) => s.replace('WORKDIR /app\n', 'WORKDIR\n'), /syntax/],
  ];
  it.each(rows)('%s', (_name, mutate, problem) => {
    const broken = mutate(good);
    expect(broken).not.toBe(good);
    expect(appDockerfileProblems(broken, expectations).join('\n')).toMatch(problem);
  });
});
