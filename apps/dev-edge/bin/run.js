#!/usr/bin/env node
'use strict';
// Starts the dev edge (a Traefik-like proxy for npm start) from source; see apps/dev-edge/src/main.ts.
require('../../../scripts/register-ts');
process.setSourceMapsEnabled(true);
require('../src/main.ts');
