import { shellBlocks } from './shell-blocks';

describe('shellBlocks (the marks of the docs runner)', () => {
  const doc = (info: string, body = 'echo hi') => `# t\n\n\`\`\`${info}\n${body}\n\`\`\`\n`;

  it('reads runnable, runnable needs=postgres and the syntax-only needs', () => {
    expect(shellBlocks('a.md', doc('sh runnable'))).toEqual([{ where: 'a.md:3', info: 'sh runnable', body: 'echo hi', mark: { run: true, needsPostgres: false } }]);
    expect(shellBlocks('a.md', doc('bash runnable needs=postgres'))[0]?.mark).toEqual({ run: true, needsPostgres: true });
    for (const need of ['docker', 'logto', 'root', 'ci', 'kubernetes']) {
      expect(shellBlocks('a.md', doc(`sh needs=${need}`))[0]?.mark).toEqual({ run: false, needs: need });
    }
  });

  it('refuses an unmarked shell block, an unknown mark and a runnable block needing what cannot run', () => {
    expect(shellBlocks('a.md', doc('sh'))[0]?.problem).toMatch(/^unmarked/);
    expect(shellBlocks('a.md', doc('bash runable'))[0]?.problem).toBe('unknown mark runable');
    expect(shellBlocks('a.md', doc('sh needs=openshift'))[0]?.problem).toMatch(/needs one of docker, logto, root, ci, kubernetes/);
    expect(shellBlocks('a.md', doc('sh runnable needs=docker'))[0]?.problem).toMatch(/may need only postgres/);
  });

  it('skips blocks in other languages and plain ones, and reads indented blocks of list items', () => {
    expect(shellBlocks('a.md', doc('json') + doc('') + doc('ts'))).toEqual([]);
    const [block] = shellBlocks('a.md', '- step\n\n  ```sh runnable\n  npm run keys:jwks\n  ```\n');
    expect(block).toMatchObject({ where: 'a.md:3', body: 'npm run keys:jwks' });
  });
});
