#!/usr/bin/env node
'use strict';
// Mints a token from source: node apps/dev-idp/bin/dev-token.js --user alice --scope tenant:read
require('./register');
require('../src/cli/dev-token.ts');
