import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerignoreMatcher, parseDockerignore } from './dockerfile';

const ignores = (dockerignore: string, path: string): boolean => dockerignoreMatcher(parseDockerignore(dockerignore))(path);

describe('.dockerignore matching (moby patternmatcher semantics)', () => {
  it.each([
    // [.dockerignore, path, ignored]
    ['keys', 'keys/license/private.pem', true],
    ['keys', 'libs/keys/index.ts', false],
    ['/keys/', 'keys/a.pem', true],
    ['./dist', 'dist/main.js', true],
    ['*.log', 'npm-debug.log', true],
    ['*.log', 'logs/npm-debug.log', false],
    ['**/*.pem', 'a.pem', true],
    ['**/*.pem', 'deploy/certs/a.pem', true],
    ['**/node_modules', 'libs/x/node_modules/y/index.js', true],
    ['dir/**', 'dir/a/b', true],
    ['dir/**', 'dirt/a', false],
    ['**', 'anything/at/all', true],
    ['.env.*', '.env.local', true],
    ['.env.*', 'apps/.env.local', false],
    ['.env', '.envrc', false],
    ['a.b', 'axb', false],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['docker-compose*.yml', 'docker-compose.prod.yml', true],
    ['# a comment', '# a comment', false],
    [' #x', '#x', true],
    ['docs\n!docs/keep.md', 'docs/keep.md', false],
    ['docs\n!docs/keep.md', 'docs/other.md', true],
    ['!docs/keep.md\ndocs', 'docs/keep.md', true],
    ['*.md\n!README.md\nREADME.md', 'README.md', true],
  ])('%j: %s ignored=%s', (dockerignore, path, ignored) => {
    expect(ignores(dockerignore, path)).toBe(ignored);
  });

  it('normalises patterns as Docker reads them', () => {
    expect(parseDockerignore('\uFEFF# c\n\n  /a/b/../c/  \n! ./d\n')).toEqual(['a/c', '!d']);
  });

  it("leaves the repository's tests, bench, dev IdP, keys and env files out of the image context, and keeps the build inputs", () => {
    const ignored = dockerignoreMatcher(parseDockerignore(readFileSync(join(__dirname, '../../.dockerignore'), 'utf8')));
    for (const path of ['test/support/dev-idp.ts', 'bench/run.ts', 'apps/dev-idp/src/main.ts', 'config/dev-idp.json',
      'keys/license/private.pem', 'deploy/env/cameleer-saas.env', '.env', 'libs/x/node_modules/y.js', 'dist/main.js']) {
      expect([path, ignored(path)]).toEqual([path, true]);
    }
    for (const path of ['package.json', 'package-lock.json', 'nest-cli.json', 'tsconfig.build.json', 'tsconfig.json',
      'apps/api/src/main.ts', 'libs/security/src/index.ts', 'config/tiers.yaml', 'scripts/logto-bootstrap.ts']) {
      expect([path, ignored(path)]).toEqual([path, false]);
    }
  });
});
