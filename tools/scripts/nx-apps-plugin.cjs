'use strict';
/**
 * Nx plugin (nx.json "plugins"): the targets every service has, from deploy/apps.json, so that each
 * app's telemetry environment and image are written once:
 *
 *   serve          tsx watch on the sources, with the telemetry preload
 *   start          the compiled app, with the telemetry preload
 *   docker:build   docker build -f deploy/docker/Dockerfile --build-arg APP=<app> -t mcp-system/<app>:<version> .
 *   docker:run     docker run --rm -p <port>:<port> mcp-system/<app>:<version>
 *
 * (@nx/docker infers docker targets only for a project whose folder holds a Dockerfile; the four
 * apps share one.) The targets are added to the projects apps/<app> defined by their package.json.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { readApps } = require('../../deploy/docker/app-facts.cjs');

const DOCKERFILE = 'deploy/docker/Dockerfile';
const PRELOAD = '--require @mcp/otel-bootstrap/register';

function targetsFor(name, facts, version) {
  const env = { ...facts.telemetryEnv, ...facts.devEnv };
  const image = `mcp-system/${name}:${version}`;
  return {
    serve: {
      continuous: true,
      command: `tsx watch --clear-screen=false --conditions=@mcp/source ${PRELOAD} src/main.ts`,
      options: { cwd: `apps/${name}`, env },
    },
    start: {
      continuous: true,
      dependsOn: ['build'],
      command: `node ${PRELOAD} dist/main.js`,
      options: { cwd: `apps/${name}`, env },
    },
    'docker:build': {
      command: `docker build --file ${DOCKERFILE} --build-arg APP=${name} --tag ${image} .`,
      options: { cwd: '{workspaceRoot}' },
      inputs: ['production', '^production', `{workspaceRoot}/${DOCKERFILE}`, '{workspaceRoot}/deploy/apps.json', '{workspaceRoot}/deploy/docker/*.cjs'],
      metadata: { technologies: ['docker'], description: `Build the image ${image}` },
    },
    'docker:run': {
      continuous: true,
      dependsOn: ['docker:build'],
      command: `docker run --rm -p ${facts.port}:${facts.port} ${image}`,
      metadata: { technologies: ['docker'], description: `Run the image ${image}` },
    },
  };
}

exports.name = 'mcp-apps';

exports.createNodes = [
  'deploy/apps.json',
  (files, _options, context) =>
    files.map((file) => {
      const apps = readApps(join(context.workspaceRoot, file));
      const projects = {};
      for (const [name, facts] of Object.entries(apps)) {
        const root = `apps/${name}`;
        const { version } = JSON.parse(readFileSync(join(context.workspaceRoot, root, 'package.json'), 'utf8'));
        projects[root] = { root, targets: targetsFor(name, facts, version), metadata: { targetGroups: { Docker: ['docker:build', 'docker:run'] } } };
      }
      return [file, { projects }];
    }),
];
