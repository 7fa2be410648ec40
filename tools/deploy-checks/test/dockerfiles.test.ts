import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { appDockerfileProblems, parseDockerfile } from './support/dockerfile-checks';
import { imageProblem } from './support/images';
import { APPS, readRepoFile, repoPath, runtimeEnv } from './support/repo';

const DOCKERFILE = 'deploy/docker/Dockerfile';
const appFactsCli = (...args: string[]) => spawnSync(process.execPath, [repoPath('deploy/docker/app-facts.cjs'), ...args], { encoding: 'utf8' });

describe('the app image: deploy/docker/Dockerfile, one for the four apps', () => {
  it('pinned Node 24, multi-stage, pruned closure, non-root, tini, curl-less healthcheck, preload, OTLP/HTTP to the Collector, the app from the build argument APP', () => {
    expect(appDockerfileProblems(readRepoFile(DOCKERFILE))).toEqual([]);
  });

  it('the build context ignore file keeps host builds and dependencies out of the context', () => {
    const ignore = readRepoFile('.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.git', '**/.env', '**/test']) expect(ignore).toContain(pattern);
  });

  it('no app has a Dockerfile of its own any more', () => {
    for (const app of APPS) expect(existsSync(repoPath('apps', app.name, 'Dockerfile'))).toBe(false);
  });

  for (const app of APPS) {
    it(`${app.name}: the image's environment file carries its port, telemetry settings and health target from deploy/apps.json`, () => {
      const result = appFactsCli('env', app.name);
      expect(result.status, result.stderr).toBe(0);
      const env = parseEnv(result.stdout);
      expect(env).toEqual(runtimeEnv(app));
      expect(env['OTEL_SERVICE_NAME']).toBe(app.name);
      expect(env['PORT']).toBe(String(app.port));
      expect(env['HEALTHCHECK_TARGET']!.replace('{port}', String(app.port))).toBe(app.health);
    });
  }

  it('the hub keeps its socket.io instrumentation opt-out in the image too', () => {
    expect(parseEnv(appFactsCli('env', 'collaboration-hub').stdout)['OTEL_NODE_DISABLED_INSTRUMENTATIONS']).toBe('socket.io');
  });

  it('only the frontend builds a web page, the one it serves from /app/apps/web/dist', () => {
    for (const app of APPS) expect(appFactsCli('web-page', app.name).stdout).toBe(app.name === 'frontend' ? 'apps/web' : '');
    expect(readRepoFile(DOCKERFILE)).toMatch(/cp -r "\$page\/dist" "\/out\/\$page\/dist"/);
  });

  it('a missing or unknown APP fails the build with a message naming the apps', () => {
    for (const args of [['env', ''], ['env', 'nope'], ['env', '__proto__']]) {
      const result = appFactsCli(...args);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/app-facts: (usage|unknown app)/);
    }
  });

  it('the Collector image adds only a pinned static busybox for the compose healthcheck', () => {
    const { stages, syntaxErrors } = parseDockerfile(readRepoFile('deploy/otel-collector/Dockerfile'));
    expect(syntaxErrors).toEqual([]);
    expect(stages.map((s) => s.image)).toEqual(['busybox:1.37.0-musl', 'otel/opentelemetry-collector-contrib:0.160.0']);
    for (const stage of stages) expect(imageProblem(stage.image)).toBeUndefined();
  });

  it('the scripts the image copies exist', () => {
    for (const script of ['prune-workspace.cjs', 'healthcheck.cjs', 'app-facts.cjs']) expect(existsSync(repoPath('deploy/docker', script))).toBe(true);
  });
});

describe('the Dockerfile checks fail on broken variants', () => {
  const good = readRepoFile(DOCKERFILE);
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
    ['a healthcheck without the app environment', (s) => s.replace('"node", "--env-file=/app/app.env", "/app/healthcheck.cjs"', '"node", "/app/healthcheck.cjs"'), /does not run healthcheck.cjs with the app's environment/],
    ['node as PID 1', (s) => s.replace('ENTRYPOINT ["/usr/bin/tini", "--"]', 'ENTRYPOINT ["node"]'), /not tini or dumb-init/],
    ['the app without its environment', (s) => s.replace('CMD ["node", "--env-file=/app/app.env", "dist/main.js"]', 'CMD ["node", "dist/main.js"]'), /does not load the app's environment/],
    ['an app setting as ENV', (s) => s.replace('    HOST=0.0.0.0', '    HOST=0.0.0.0 \\\n    PORT=3000'), /ENV PORT: an app's own setting/],
    ['no preload', (s) => s.replace('NODE_OPTIONS="--require @mcp/otel-bootstrap/register"', 'NODE_OPTIONS=""'), /does not preload/],
    ['the seed gRPC endpoint', (s) => s.replace('http://otel-collector:4318', 'http://otel-collector-gateway:4317'), /OTEL_EXPORTER_OTLP_ENDPOINT/],
    ['the seed protocol', (s) => s.replace('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf', 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc'), /not http\/protobuf/],
    ['an unexpanded $(HOSTNAME)', (s) => s.replace('deployment.environment.name=production', 'service.instance.id=$(HOSTNAME)'), /does not expand/],
    ['a non-standard OTEL_SERVICE_VERSION', (s) => s.replace('    HOST=0.0.0.0', '    OTEL_SERVICE_VERSION=1.0.0 \\\n    HOST=0.0.0.0'), /not a standard variable/],
    ['node_modules of the build copied in', (s) => s.replace('COPY --from=build /out ./', 'COPY --from=build /out ./\nCOPY --from=build /workspace/node_modules ./node_modules'), /only \/out/],
    ['the context copied into the runtime', (s) => s.replace('COPY --from=build /out ./', 'COPY --from=build /out ./\nCOPY . .'), /from the build context/],
    ['no prune step', (s) => s.replace(' && node deploy/docker/prune-workspace.cjs "apps/${APP}" /out', ''), /prune-workspace/],
    ['no environment file', (s) => s.replace(' && cp /tmp/app.env /out/app.env', ''), /not written from deploy\/apps.json/],
    ['the app not compiled', (s) => s.replace(' && npx tsc --build "apps/${APP}/tsconfig.app.json"', ''), /not compiled in the image/],
    ['another working directory', (s) => s.replace('WORKDIR /app/apps/${APP}', 'WORKDIR /app'), /final WORKDIR/],
    ['the preload left unbundled', (s) => s.replace(' \\\n && node libs/otel-bootstrap/scripts/bundle.mjs', ''), /not bundled/],
    ['npm install instead of npm ci', (s) => s.replace('npm ci --ignore-scripts', 'npm install'), /npm ci/],
    ['a syntax error', (s) => s.replace('WORKDIR /app\n', 'WORKDIR\n'), /syntax/],
  ];
  it.each(rows)('%s', (_name, mutate, problem) => {
    const broken = mutate(good);
    expect(broken).not.toBe(good);
    expect(appDockerfileProblems(broken).join('\n')).toMatch(problem);
  });
});
