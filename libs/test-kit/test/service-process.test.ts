import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService, stopService, useProcessCleanup } from '../src';

// The ways of starting a process that the workflow benchmark uses and the tests do not: output to a
// log file read only when asked, a prefix command in front of Node, Node options, the SDK's own
// export intervals. A real child process each time.
useProcessCleanup();
const probe = join(__dirname, 'fixtures', 'probe.cjs');
const dir = mkdtempSync(join(tmpdir(), 'test-kit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spawnService', () => {
  it('with pipes (the default): stdout and stderr apart, quick export intervals', async () => {
    const service = await spawnService(probe, { serviceName: 'probe', preload: 'none' });
    const ready = service.jsonLines()[0];
    expect(ready?.['bspDelay']).toBe('200');
    await expect.poll(() => service.stderr()).toContain('probe: on stderr');
    expect(service.stdout()).not.toContain('probe: on stderr');
    await stopService(service, 5_000);
    expect(service.exitInfo()).toEqual({ code: 0, signal: null });
  });

  it('with a log file, a prefix and Node options: both streams in the file, lines read when asked, the pid is Node’s', async () => {
    const service = await spawnService(probe, {
      serviceName: 'probe',
      preload: 'none',
      logFile: join(dir, 'probe.log'),
      prefix: ['env', 'PREFIXED=yes'],
      nodeArgs: ['--max-old-space-size=64'],
      quickExport: false,
    });
    const ready = service.jsonLines()[0];
    expect(ready).toMatchObject({ prefixed: 'yes', execArgv: ['--max-old-space-size=64'], bspDelay: null, pid: service.pid });
    service.kill('SIGUSR2');
    await service.waitForJsonLine((line) => line['later'] === true);
    await expect.poll(() => service.stdout()).toContain('probe: on stderr');
    expect(service.stderr()).toBe('');
    await stopService(service, 5_000);
    expect(service.exitInfo()).toEqual({ code: 0, signal: null });
  });
});
