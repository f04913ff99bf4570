/**
 * Essentials of the root Dockerfile (no Docker engine here, so the file is parsed, not built).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { parseDockerfile, parseDockerignore, type Stage } from '../../scripts/image-build/dockerfile';
import { repoRoot } from './compose-support';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const final = stages[stages.length - 1] as Stage;
const runs = (stage: Stage): string[] => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

describe('Dockerfile', () => {
  it('is multi-stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  it.each(stages.map((s) => [s.name ?? '(unnamed)', s.base]))(
    'stage %s starts from a pinned Node 24 image (%s)',
    (_name, base) => {
      const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
      if (stageNames.has(base)) {
        return; // FROM an earlier stage
      }
      expect(base).not.toContain('$');
      const [image, tag = ''] = base.split('@')[0]?.split(':') ?? [];
      expect(image).toBe('node');
      expect(tag).toMatch(/^24\.\d+\.\d+(-[a-z0-9.-]+)?$/);
    },
  );

  it('installs with npm ci, and builds with npm run build', () => {
    const all = stages.flatMap(runs);
    expect(all.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(all.some((r) => /\bnpm install\b/.test(r))).toBe(false);
    expect(all.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
  });

  it('installs production dependencies only in the final stage', () => {
    const finalRuns = runs(final);
    expect(finalRuns.some((r) => /\bnpm ci\b[^&;]*--omit=dev/.test(r))).toBe(true);
    expect(finalRuns.some((r) => /\bnpm run build\b/.test(r))).toBe(false);
  });

  it('copies no dev dependencies or sources into the final stage', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    for (const copy of copies) {
      expect(copy.keyword).toBe('COPY');
      // Nothing from another stage except the compiled output and the tier catalog it reads at boot.
      if (/--from=/.test(copy.args)) {
        expect(copy.args).toMatch(/--from=\S+ ((\S+\/)?dist\/?|(\S+\/)?config\/tiers\.yaml) \S+$/);
      }
      expect(copy.args).not.toMatch(/node_modules/);
      // No whole-context copy (sources, tests, dev tooling).
      expect(copy.args).not.toMatch(/(^|\s)\.\/?\s+\.\/?$/);
    }
  });

  it('runs as a fixed numeric non-root uid', () => {
    const users = final.instructions.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1]?.args ?? '';
    expect(last).toMatch(/^\d+(:\d+)?$/);
    expect(Number(last.split(':')[0])).toBeGreaterThan(0);
    expect(last.startsWith('10001')).toBe(true);
  });

  it('has a HEALTHCHECK that uses Node fetch against /api/health', () => {
    const health = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    expect(health?.args).toContain("fetch('http://127.0.0.1:3000/api/health')");
  });

  it('starts the compiled API entry point with node', () => {
    const cmd = final.instructions.filter((i) => i.keyword === 'CMD').pop();
    expect(cmd?.args).toBe('["node", "dist/apps/api/src/main.js"]');
  });

  it('keeps keys, env files and local artefacts out of the build context', () => {
    const ignored = parseDockerignore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', 'keys', '.git', '.env', '**/*.pem']));
  });

  it('compiles, in the production build, only the API, the libs and the bootstrap script the image runs', () => {
    const configFile = join(repoRoot, 'tsconfig.build.json');
    const { config } = ts.readConfigFile(configFile, (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot, undefined, configFile);
    // Every file the compiler would emit: the included roots and everything they import.
    const compiled = ts
      .createProgram(parsed.fileNames, parsed.options)
      .getSourceFiles()
      .filter((file) => !file.isDeclarationFile && !file.fileName.includes('/node_modules/'))
      .map((file) => relative(repoRoot, file.fileName));
    expect(compiled).toContain('apps/api/src/main.ts');
    expect(compiled).toContain('scripts/logto-bootstrap.ts');
    expect(compiled.filter((file) => !/^(apps\/api\/|libs\/|scripts\/logto-bootstrap)/.test(file) || /\.[a-z-]*spec\.ts$/.test(file))).toEqual([]);
  });
});
