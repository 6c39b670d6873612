// The repository's top level holds what a reader expects there, and nothing stray (a profiling script once
// sat at the root).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXPECTED = ['.ci', '.gitignore', 'README.md', 'cdk.json', 'docs', 'functions', 'infra', 'local', 'package-lock.json',
  'package.json', 'scripts', 'test', 'tsconfig.json', 'vitest.config.ts'];

describe('the top level of the repository', () => {
  it('holds only the project\'s own files and folders', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const top = [...new Set(tracked.map((path) => path.split('/')[0]!))].sort();
    expect(top).toEqual(EXPECTED);
  });
});
