/**
 * The documentation is self-contained: every file path a README or doc names (as a Markdown link or
 * in backticks) exists in the repository, and none points outside it. A newcomer follows the README
 * to any behaviour, and a dangling or external path breaks that walk.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..', '..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.cache', '.git', '.nx', 'tmp', 'test-results', 'out-tsc', 'coverage']);
/** Top-level folders: a backticked path that starts with one of these is a repository path. */
const REPO_PREFIXES = ['apps/', 'libs/', 'tools/', 'deploy/', 'docs/', '.ci/'];

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : markdownFiles(join(dir, entry.name));
    return entry.name.endsWith('.md') ? [join(dir, entry.name)] : [];
  });
}

/** Paths named in a Markdown file: link targets, and backticked tokens that look like repo paths. */
function namedPaths(markdown: string): string[] {
  const paths: string[] = [];
  for (const [, target = ''] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^[a-z]+:|^#|^mailto:/i.test(target)) paths.push(target.split('#')[0] ?? '');
  }
  for (const [, token = ''] of markdown.matchAll(/`([^`\s]+)`/g)) {
    if (/[<>*{}$|]/.test(token)) continue; // a pattern or placeholder, not one path
    if (token.startsWith('../') || REPO_PREFIXES.some((p) => token.startsWith(p))) paths.push(token.replace(/[:,.]$/, ''));
  }
  return paths.filter((p) => p !== '');
}

const isGenerated = (path: string) => path.split('/').some((segment) => SKIPPED_DIRS.has(segment));

function problemsOf(file: string, markdown = readFileSync(file, 'utf8')): string[] {
  const problems: string[] = [];
  for (const path of namedPaths(markdown)) {
    const fromFile = resolve(dirname(file), path);
    const fromRoot = resolve(root, path);
    const inRepo = (p: string) => p === root || p.startsWith(root + sep);
    if (path.startsWith('../') && !inRepo(fromFile)) {
      problems.push(`${path}: outside the repository`);
    } else if (isGenerated(path)) {
      continue; // a build or test output: it exists only after a build or a test run
    } else if (!existsSync(fromFile) && !existsSync(fromRoot)) {
      problems.push(`${path}: no such file or folder`);
    }
  }
  return problems;
}

describe('documentation paths', () => {
  const files = markdownFiles(root);

  it('finds the README, the architecture and every project README', () => {
    const names = files.map((f) => relative(root, f));
    expect(names).toContain('README.md');
    expect(names).toContain(join('docs', 'ARCHITECTURE.md'));
    expect(names).toContain(join('apps', 'frontend', 'README.md'));
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s names only files of the repository that exist', (_name, file) => {
    expect(problemsOf(file)).toEqual([]);
  });

  it('reports a path outside the repository and a missing one (the check can fail)', () => {
    const markdown = 'see `../shared/DESIGN.md`, [x](docs/NOPE.md) and `apps/frontend/README.md`, not `POST /api/route`';
    expect(problemsOf(join(root, 'README.md'), markdown)).toEqual([
      'docs/NOPE.md: no such file or folder',
      '../shared/DESIGN.md: outside the repository',
    ]);
  });
});
