#!/usr/bin/env node
'use strict';
/**
 * The reader of deploy/apps.json, the one place of each service's name, port, health target,
 * telemetry environment and web page. The image build, the Nx targets (tools/scripts/nx-apps-plugin.cjs),
 * the tests and the benchmarks all read the facts through it.
 *
 *   node deploy/docker/app-facts.cjs env <app>        the app's run-time environment file (/app/app.env)
 *   node deploy/docker/app-facts.cjs web-page <app>   the web page the app serves (empty if none)
 *
 * The image's CMD and HEALTHCHECK run `node --env-file=/app/app.env`: Node gives a variable set in
 * the real environment (compose, Kubernetes, `docker run -e`) precedence over the file, so the
 * file holds defaults that every deployment can override, as ENV would, without an ENV per app.
 */
const fs = require('node:fs');
const path = require('node:path');

const FACTS_FILE = path.join(__dirname, '..', 'apps.json');

/** @returns {Record<string, {description: string, port: number, health: string, webPage?: string, telemetryEnv: Record<string, string>, imageEnv?: Record<string, string>}>} */
function readApps(file = FACTS_FILE) {
  return JSON.parse(fs.readFileSync(file, 'utf8')).apps;
}

function appFacts(name, apps = readApps()) {
  const facts = Object.hasOwn(apps, name) ? apps[name] : undefined;
  if (!facts) throw new Error(`unknown app "${name}": one of ${Object.keys(apps).join(', ')}`);
  return facts;
}

/** The health target with the port filled in (the port the process really listens on). */
function healthTarget(facts, port = facts.port) {
  return facts.health.replace('{port}', String(port));
}

/**
 * The environment the image gives the app: its port, its telemetry settings, its image-only settings
 * (paths in the image), and the health target with a {port} placeholder that
 * deploy/docker/healthcheck.cjs fills from PORT.
 */
function runtimeEnv(facts) {
  return { PORT: String(facts.port), ...facts.telemetryEnv, ...facts.imageEnv, HEALTHCHECK_TARGET: facts.health };
}

/** As a file for `node --env-file` (values are plain: no quotes, no newlines, checked). */
function envFile(env) {
  return Object.entries(env)
    .map(([name, value]) => {
      if (/[\n"'#\\]/.test(value) || value !== value.trim()) throw new Error(`${name}: value ${JSON.stringify(value)} needs quoting`);
      return `${name}=${value}\n`;
    })
    .join('');
}

module.exports = { FACTS_FILE, readApps, appFacts, healthTarget, runtimeEnv, envFile };

if (require.main === module) {
  const [command, name] = process.argv.slice(2);
  try {
    if (!name) throw new Error('usage: app-facts.cjs <env|web-page> <app>  (docker build --build-arg APP=<app>)');
    const facts = appFacts(name);
    if (command === 'env') process.stdout.write(envFile(runtimeEnv(facts)));
    else if (command === 'web-page') process.stdout.write(facts.webPage ?? '');
    else throw new Error(`unknown command ${command}`);
  } catch (error) {
    process.stderr.write(`app-facts: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
