'use strict';
// Runs the dev IdP's TypeScript sources without a build step: the repository's one require hook (swc per file,
// the @app/<lib> aliases for the command-line helper). Type-checking stays with `tsc --noEmit`.
require('../../../scripts/register-ts');

// Stack traces point into the .ts sources.
process.setSourceMapsEnabled(true);
