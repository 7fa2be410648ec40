import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';

/** The repository root (this file is tools/deploy-checks/test/support/repo.ts). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/** One service's facts, as deploy/apps.json holds them (read by deploy/docker/app-facts.cjs in the image build). */
export interface AppFacts {
  name: string;
  description: string;
  port: number;
  /** The health target with the port filled in. */
  health: string;
  webPage?: string;
  telemetryEnv: Record<string, string>;
  /** Settings of the image only: paths in it (state under /var/lib/mcp, which deployments must mount). */
  imageEnv?: Record<string, string>;
}

/** The images' one writable directory (deploy/docker/Dockerfile); an app keeping state there needs a volume on it. */
export const STATE_DIR = '/var/lib/mcp';
export const keepsState = (app: AppFacts): boolean => Object.values(app.imageEnv ?? {}).some((v) => v.startsWith(`${STATE_DIR}/`));

const appFacts = require(join(REPO_ROOT, 'deploy/docker/app-facts.cjs')) as {
  readApps(): Record<string, Omit<AppFacts, 'name'>>;
  healthTarget(facts: Omit<AppFacts, 'name'>, port?: number): string;
  runtimeEnv(facts: Omit<AppFacts, 'name'>): Record<string, string>;
};

/** The four services (deploy/apps.json), the one place every file here is checked against. */
export const APPS: AppFacts[] = Object.entries(appFacts.readApps()).map(([name, facts]) => ({ ...facts, name, health: appFacts.healthTarget(facts) }));

/** The environment the image gives the app (/app/app.env), as app-facts.cjs writes it. */
export const runtimeEnv = (app: AppFacts): Record<string, string> => appFacts.runtimeEnv(appFacts.readApps()[app.name]!);

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** One YAML document as plain data; YAML errors (and `<<` merge keys, as Compose reads them) included. */
export function parseYaml(text: string, where: string): unknown {
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS({ maxAliasCount: 100 });
}

/** Every document of a multi-document YAML file, empty ones dropped. */
export function parseYamlDocuments(text: string, where: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export const clone = <T>(value: T): T => structuredClone(value);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
