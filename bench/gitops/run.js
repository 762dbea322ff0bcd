#!/usr/bin/env node
// Bump Git Manifest benchmark: node bench/gitops/run.js (writes its section of bench/RESULTS.md).
'use strict';
require('../../test/stack/n8n/tsRequire'); // the stack's on-require TypeScript transpiler
require('./bench.ts');
