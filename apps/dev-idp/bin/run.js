#!/usr/bin/env node
'use strict';
// Starts the dev IdP from source: node apps/dev-idp/bin/run.js [--port 0] [--data-dir dir] [--config file]
require('./register');
require('../src/main.ts');
