import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RESULTS = join(__dirname, 'RESULTS.md');
const HEADER =
	'# Benchmark results\n\nEach section is written by its benchmark; the command that reproduces it is in the section.\n';

/**
 * Replaces one benchmark's section of bench/RESULTS.md (between its markers), keeping the others, so each
 * benchmark can be re-run on its own.
 */
export function writeResultsSection(name: string, markdown: string): void {
	const start = `<!-- bench:${name}:start -->`;
	const end = `<!-- bench:${name}:end -->`;
	const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : HEADER;
	const block = `${start}\n${markdown.trim()}\n${end}`;
	const from = current.indexOf(start);
	const to = current.indexOf(end);
	const next =
		from >= 0 && to > from
			? current.slice(0, from) + block + current.slice(to + end.length)
			: `${current.trimEnd()}\n\n${block}\n`;
	writeFileSync(RESULTS, next);
}

/** p-th percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank];
}
