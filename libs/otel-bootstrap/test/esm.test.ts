import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { esmFlavourOf, toEsmSource } from './support/esm-flavour';
import { useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { fixturePath } from './support/paths';
import { first, isHttpServerSpan, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';
import { spawnService } from '@mcp/test-kit';

useFixtureCleanup();
useReceiverCleanup();

// The instrumentation tests themselves run in both module systems (vitest.config.ts, project
// "esm"); these pin what differs between the two.
describe('ES modules and CommonJS', () => {
  it('a CommonJS app loads no ES module hook; an ES module app gets it, under --import or --require, and it wraps only the packages the instrumentations patch', async () => {
    const receiver = await startReceiver();
    const probe = fixturePath('module-hooks-probe.cjs');
    const cjs = await spawnService(probe, { endpoint: receiver.url, serviceName: uniqueServiceName('cjs-probe') });
    const esmImport = await spawnService(esmFlavourOf(probe), { endpoint: receiver.url, serviceName: uniqueServiceName('esm-probe'), preload: 'import' });
    const esmRequire = await spawnService(esmFlavourOf(probe), { endpoint: receiver.url, serviceName: uniqueServiceName('esm-probe-r'), preload: 'require' });

    const report = (app: typeof cjs) => {
      const ready = app.jsonLines().find((line) => line['ready'] === true) ?? {};
      return { esmHook: ready['esmHook'], wrapped: ready['wrapped'], seen: ready['seen'] };
    };
    // express is patched; @grpc/proto-loader (CommonJS) and @koa/router (an ES module) are not, but
    // @koa/router imports node:http, which is. Every app imported all three (`seen`).
    expect(report(cjs), cjs.describe()).toMatchObject({ esmHook: false, wrapped: [] });
    for (const esm of [esmImport, esmRequire]) expect(report(esm), esm.describe()).toMatchObject({ esmHook: true, wrapped: ['express', 'http'] });
    for (const app of [cjs, esmImport, esmRequire]) {
      expect(report(app).seen, app.describe()).toEqual(expect.arrayContaining(['@grpc/proto-loader', '@koa/router', 'express', 'http', 'koa-compose']));
      expect(app.stderr(), app.describe()).not.toMatch(/warn/);
    }
  });

  it('an ES module entry preloaded with --require is instrumented like one preloaded with --import', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('esm-require');
    const app = await spawnService(esmFlavourOf(fixturePath('express-app.cjs')), { endpoint: receiver.url, serviceName, preload: 'require' });

    expect((await request(`${app.url}/users/42`)).status).toBe(200);
    const span = first(await receiver.waitForSpans(isHttpServerSpan('/users/42')));
    expect(span).toMatchObject({ name: 'GET /users/:id', serviceName, attributes: { 'http.route': '/users/:id' } });
  });

  it.each(['esm-self-register.mjs', 'esm-start-in-code.mjs'])('an ES module app that starts telemetry from its own code (%s) is told once to preload it instead', async (fixture) => {
    const receiver = await startReceiver();
    esmFlavourOf(fixturePath('lib/ready.cjs'));
    const app = await spawnService(fixturePath(fixture), { endpoint: receiver.url, serviceName: uniqueServiceName('esm-self'), preload: 'none' });

    const told = app.stderr().split('\n').filter((line) => line.includes('is an ES module that started telemetry from its own code'));
    expect(told, app.describe()).toHaveLength(1);
    expect(told[0]).toContain(`preload it instead: node --import @mcp/otel-bootstrap/register ${fixturePath(fixture)}`);
  });

  it('an ES module app whose own preload starts telemetry in code is instrumented, and told nothing', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('esm-own-preload');
    const app = await spawnService(esmFlavourOf(fixturePath('express-app.cjs')), {
      endpoint: receiver.url,
      serviceName,
      preload: 'none',
      nodeArgs: ['--import', pathToFileURL(fixturePath('start-telemetry.mjs')).href],
    });

    expect((await request(`${app.url}/users/42`)).status).toBe(200);
    const span = first(await receiver.waitForSpans(isHttpServerSpan('/users/42')));
    expect(span).toMatchObject({ name: 'GET /users/:id', serviceName, attributes: { 'http.route': '/users/:id' } });
    expect(app.stderr(), app.describe()).not.toMatch(/warn/);
  });

  it('the ES module flavour of a fixture imports every library and refuses a require it cannot convert', () => {
    const esm = toEsmSource("'use strict';\nconst express = require('express');\nconst { Pool } = require('pg');\nconst grpc = require('@grpc/grpc-js');\nexpress();\n");
    expect(esm).toBe("import express from 'express';\nimport { Pool } from 'pg';\nimport * as grpc from '@grpc/grpc-js';\nexpress();\n");
    expect(() => toEsmSource("function f() { return require('pg'); }", 'inline.cjs')).toThrow(/inline\.cjs: a require\(\)/);
  });
});
