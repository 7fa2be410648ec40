import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { repoPath } from './repo';

/** Where a secret value is written: the variable, its k8s Secret key, or the code names that carry it. */
const SECRET_NAME = String.raw`(?:[A-Z_]*INTERNAL_API_SECRET|USER_HASH_KEY|internal-api-secret|user-hash-key|x-internal-secret|userHashKey|internalSecret)`;

/** Files where an unquoted word after `NAME:` is a value (YAML, env, shell, Markdown); in code it is an expression. */
const PLAIN_TEXT = new Set(['.yaml', '.yml', '.md', '.env', '.sh', '']);

export interface CommittedSecret {
  value: string;
  /** `path:line` of one place it is written. */
  where: string;
}

/**
 * Every secret value written in `text`: `NAME: 'v'`, `NAME="v"`, `NAME=v`, `${NAME:-v}` (a Compose
 * default), `| \`NAME\` | \`v\` |` (a README table), `--from-literal=name=v`. A value computed at run
 * time (`$(openssl …)`, `${…}` without a default, `${NAME:?…}`) is not a committed value.
 */
export function secretValuesIn(text: string, plainText: boolean): string[] {
  const values: string[] = [];
  const quoted = String.raw`(['"\x60])((?:(?!\1).){1,200})\1`;
  const patterns = [
    new RegExp(String.raw`${SECRET_NAME}['"]?\s*[:=]\s*${quoted}`, 'g'),
    new RegExp(String.raw`\$\{${SECRET_NAME}:?-([^}]+)\}`, 'g'),
    new RegExp(String.raw`\x60${SECRET_NAME}\x60\s*\|\s*\x60([^\x60]+)\x60`, 'g'),
    ...(plainText ? [new RegExp(String.raw`${SECRET_NAME}\s*[:=][ \t]*([A-Za-z0-9][\w.~+/=:@-]*)`, 'g')] : []),
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const value = match[match.length - 1]!;
      if (/\$[({]/.test(value)) continue;
      values.push(value);
    }
  }
  return values;
}

/** Every secret value the repository's tracked files write (each once), with one place it appears. */
export function committedSecrets(): CommittedSecret[] {
  const files = execFileSync('git', ['ls-files'], { cwd: repoPath(), encoding: 'utf8' }).split('\n').filter(Boolean);
  const found = new Map<string, string>();
  for (const file of files) {
    if (file.endsWith('package-lock.json') || file.startsWith('tools/deploy-checks/schemas/')) continue;
    let text: string;
    try {
      text = readFileSync(repoPath(file), 'utf8');
    } catch {
      continue; // listed but absent in this worktree (deleted, not yet committed)
    }
    if (text.includes('\u0000')) continue;
    const plainText = PLAIN_TEXT.has(extname(file)) || file.endsWith('.env.example');
    for (const value of secretValuesIn(text, plainText)) {
      if (found.has(value)) continue;
      const line = text.slice(0, text.indexOf(value)).split('\n').length;
      found.set(value, `${file}:${line}`);
    }
  }
  return [...found].map(([value, where]) => ({ value, where }));
}
