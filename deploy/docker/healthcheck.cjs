#!/usr/bin/env node
'use strict';
/**
 * The HEALTHCHECK of the app images, which carry no curl or wget:
 *
 *   node healthcheck.cjs http://127.0.0.1:3000/health
 *   node healthcheck.cjs grpc://127.0.0.1:50051/mcp.model_router.v1.ModelRouter   (grpc.health.v1.Health/Check)
 *   node --env-file=/app/app.env healthcheck.cjs     (as the images run it: the target is HEALTHCHECK_TARGET)
 *
 * `{port}` in the target is replaced by PORT, so the probe follows the port the app was told to
 * listen on (the image's default from deploy/apps.json, or the deployment's PORT).
 *
 * Exits 0 when the target answers healthy (HTTP 2xx / SERVING) within HEALTHCHECK_TIMEOUT_MS
 * (default 3000), 1 otherwise. The images run it as `env NODE_OPTIONS= node healthcheck.cjs …`: the
 * image's NODE_OPTIONS preloads the telemetry bootstrap, and a probe every few seconds must not start
 * an SDK, export spans of its own, or pay its start-up.
 */
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? 3000);

function done(healthy, why) {
  if (!healthy && why) process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(healthy ? 0 : 1);
}

function checkHttp(url) {
  fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (response) => done(response.ok, `${url} answered ${response.status}`),
    (error) => done(false, `${url}: ${error.message}`),
  );
}

function checkGrpc(url) {
  // Loaded only for this branch: the HTTP images never pay for gRPC.
  const grpc = require('@grpc/grpc-js');
  const { loadModelRouterProto } = require('@mcp/contracts');
  const service = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const { Health } = loadModelRouterProto();
  const client = new Health(url.host, grpc.credentials.createInsecure());
  client.Check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => {
    client.close();
    if (error) return done(false, `${url.host} ${service || '(server)'}: ${error.message}`);
    done(response.status === 'SERVING', `${url.host} ${service || '(server)'} is ${response.status}`);
  });
}

const target = (process.argv[2] ?? process.env.HEALTHCHECK_TARGET ?? '').replace('{port}', process.env.PORT ?? '');
let url;
try {
  url = new URL(target);
} catch {
  process.stderr.write(`usage: healthcheck.cjs <http://host:port/path | grpc://host:port/service> (or HEALTHCHECK_TARGET); got "${target}"\n`);
  process.exit(2);
}
if (url.protocol === 'http:' || url.protocol === 'https:') checkHttp(url);
else if (url.protocol === 'grpc:') checkGrpc(url);
else done(false, `unsupported scheme ${url.protocol}`);
