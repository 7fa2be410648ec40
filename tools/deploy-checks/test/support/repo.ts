import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';

/** The repository root (this file is tools/deploy-checks/test/support/repo.ts). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

export const APPS = [
  { name: 'frontend', port: 3000, health: 'http://127.0.0.1:3000/health' },
  { name: 'workflow-orchestrator', port: 3001, health: 'http://127.0.0.1:3001/health' },
  { name: 'model-router', port: 50051, health: 'grpc://127.0.0.1:50051/mcp.model_router.v1.ModelRouter' },
  { name: 'collaboration-hub', port: 3002, health: 'http://127.0.0.1:3002/health' },
] as const;

export type AppName = (typeof APPS)[number]['name'];

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
