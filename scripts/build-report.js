// Prints, after a test run, how many build Jobs ran with real BuildKit and which suites simulated builds and
// why (one JSON line per Kubernetes stand-in, written when it stops; see test/stack/buildkit).
'use strict';
const { readFileSync } = require('node:fs');

const records = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const suites = new Map();
for (const r of records) {
	const s = suites.get(r.suite) ?? { real: 0, simulated: 0, reasons: {} };
	s.real += r.real;
	s.simulated += r.simulated;
	for (const [why, n] of Object.entries(r.reasons)) s.reasons[why] = (s.reasons[why] ?? 0) + n;
	suites.set(r.suite, s);
}
let real = 0;
let simulated = 0;
const lines = [];
for (const [suite, s] of [...suites].sort()) {
	real += s.real;
	simulated += s.simulated;
	const why = Object.entries(s.reasons).map(([reason, n]) => `${n} ${reason}`).join('; ');
	lines.push(`  ${suite}: ${s.real} real, ${s.simulated} simulated${why ? ` (${why})` : ''}`);
}
console.log(`\n=== build Jobs: ${real} ran real BuildKit, ${simulated} simulated ===`);
for (const line of lines) console.log(line);
