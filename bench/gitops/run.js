#!/usr/bin/env node
// Bump Git Manifest benchmark: node bench/gitops/run.js (writes its section of bench/RESULTS.md).
'use strict';
require('./register');
require('./bench.ts');
