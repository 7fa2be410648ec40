import { ConfigError } from '@mcp/service-kit';
import { describe, expect, it } from 'vitest';
import { configFrom } from './support/config';
import { isAllowed, parseAllowlistEntry } from '../src/services/allowlist';

describe('config', () => {
  it('accepts PORT=0 (any free port)', () => {
    expect(configFrom({ PORT: '0' }).PORT).toBe(0);
  });

  it('has the defaults of the cross-service contract', () => {
    const config = configFrom({});
    expect(config).toMatchObject({
      PORT: 3001,
      MODEL_ROUTER_ADDRESS: '127.0.0.1:50051',
      MODEL_ROUTER_DEADLINE_MS: 5000,
      COLLABORATION_HUB_URL: 'http://127.0.0.1:3002',
      INTERNAL_API_SECRET: 'dev-secret',
      EXTERNAL_API_ALLOWLIST: [],
      HUB_EVENT_TIMEOUT_MS: 2000,
    });
    expect(config.MONGODB_URL).toBeUndefined();
  });

  it('parses the allowlist and trims the hub URL', () => {
    const config = configFrom({ EXTERNAL_API_ALLOWLIST: ' api.example.com, 127.0.0.1:8080 ,[::1]', COLLABORATION_HUB_URL: 'http://hub:3002/' });
    expect(config.EXTERNAL_API_ALLOWLIST).toEqual([{ hostname: 'api.example.com' }, { hostname: '127.0.0.1', port: 8080 }, { hostname: '[::1]' }]);
    expect(config.COLLABORATION_HUB_URL).toBe('http://hub:3002');
  });

  it.each([
    [{ PORT: 'x' }, /^PORT: must be a port number/],
    [{ MODEL_ROUTER_ADDRESS: 'nohostport' }, /^MODEL_ROUTER_ADDRESS: must be host:port$/],
    [{ MODEL_ROUTER_DEADLINE_MS: '0' }, /^MODEL_ROUTER_DEADLINE_MS: must be a positive integer$/],
    [{ MONGODB_URL: 'http://db' }, /^MONGODB_URL: must be a URL with scheme mongodb or mongodb\+srv$/],
    [{ COLLABORATION_HUB_URL: 'hub:3002' }, /^COLLABORATION_HUB_URL: must be a URL with scheme http or https$/],
    [{ EXTERNAL_API_ALLOWLIST: 'ok.example.com,https://bad.example.com' }, /^EXTERNAL_API_ALLOWLIST: "https:\/\/bad.example.com" is not a host or host:port$/],
  ])('rejects %j with a line naming the variable', (environment, problem) => {
    try {
      configFrom(environment);
      expect.fail('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.some((line) => problem.test(line)), (error as ConfigError).problems.join('\n')).toBe(true);
    }
  });

  it('lists every problem at once', () => {
    expect(() => configFrom({ PORT: '0x', MODEL_ROUTER_DEADLINE_MS: '-1' })).toThrow(/PORT[\s\S]*MODEL_ROUTER_DEADLINE_MS/);
  });
});

describe('EXTERNAL_API_ALLOWLIST matching', () => {
  const list = ['api.example.com', '127.0.0.1:8080', 'plain.example.org:80'].map((entry) => {
    const parsed = parseAllowlistEntry(entry);
    if (typeof parsed === 'string') throw new Error(parsed);
    return parsed;
  });

  it.each([
    ['https://api.example.com/v1', true],
    ['http://API.Example.com:9999/any', true], // a bare host allows every port
    ['http://127.0.0.1:8080/x', true],
    ['http://127.0.0.1:8081/x', false], // host:port allows that port only
    ['http://127.0.0.1/x', false],
    ['http://plain.example.org/', true], // :80 is http's default port
    ['https://plain.example.org/', false],
    ['http://api.example.com.evil.net/', false],
    ['http://evil.net/?u=api.example.com', false],
    ['http://user@evil.net/', false],
    ['ftp://api.example.com/', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowed(list, url)).toBe(allowed);
  });

  it.each(['', 'http://x', 'a/b', 'host:99999', 'a b', 'x@y'])('rejects the entry %j', (entry) => {
    expect(typeof parseAllowlistEntry(entry)).toBe('string');
  });
});
