'use strict';
// Runs the dev IdP's TypeScript sources without a build step: compiles each .ts file with swc (already a
// dependency through @swc/jest) when it is required. Type-checking stays with `tsc --noEmit`.
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};

// Stack traces point into the .ts sources.
process.setSourceMapsEnabled(true);
