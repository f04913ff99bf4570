// Require hook that runs the repository's TypeScript (scripts, bench, a few tests' child processes) without a build:
// `node -r ./scripts/register-ts.js file.ts`.
// Uses @swc/core (already a devDependency) to strip types per file; no type checking here (tsc --noEmit does that).
// Also resolves the tsconfig path aliases (@app/<lib>) so suites can import libs the way the app does.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const repoRoot = path.resolve(__dirname, '..');

const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...swcOptions, filename });
  module._compile(code, filename);
};

const aliases = (() => {
  try {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(repoRoot, 'tsconfig.json'), 'utf8'));
    const paths = (tsconfig.compilerOptions && tsconfig.compilerOptions.paths) || {};
    const out = new Map();
    for (const [alias, targets] of Object.entries(paths)) {
      if (!alias.includes('*') && Array.isArray(targets) && targets[0]) {
        out.set(alias, path.join(repoRoot, targets[0]));
      }
    }
    return out;
  } catch {
    return new Map();
  }
})();

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolveWithAliases(request, ...rest) {
  const target = aliases.get(request);
  return originalResolve.call(this, target === undefined ? request : target, ...rest);
};
