interface Op {
	kind: ' ' | '-' | '+';
	text: string;
}

const CONTEXT = 3;

function splitLines(text: string): string[] {
	return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Line operations between two versions. Surgical edits change values in place, so after the common prefix
 * and suffix the middle is compared line by line when both sides have as many lines; otherwise (a block
 * scalar grew or shrank) the middle is one replaced block. Always a correct diff, minimal for in-place edits.
 */
function lineOps(before: string[], after: string[]): Op[] {
	let start = 0;
	while (start < before.length && start < after.length && before[start] === after[start]) start++;
	let end = 0;
	while (
		end < before.length - start &&
		end < after.length - start &&
		before[before.length - 1 - end] === after[after.length - 1 - end]
	)
		end++;
	const ops: Op[] = before.slice(0, start).map((text) => ({ kind: ' ', text }));
	const oldMiddle = before.slice(start, before.length - end);
	const newMiddle = after.slice(start, after.length - end);
	if (oldMiddle.length === newMiddle.length) {
		oldMiddle.forEach((text, i) => {
			if (text === newMiddle[i]) ops.push({ kind: ' ', text });
			else ops.push({ kind: '-', text }, { kind: '+', text: newMiddle[i] });
		});
	} else {
		ops.push(
			...oldMiddle.map((text): Op => ({ kind: '-', text })),
			...newMiddle.map((text): Op => ({ kind: '+', text })),
		);
	}
	ops.push(...before.slice(before.length - end).map((text): Op => ({ kind: ' ', text })));
	return ops;
}

function renderLine(op: Op): string {
	const body = op.text.endsWith('\n')
		? op.text.slice(0, -1)
		: `${op.text}\n\\ No newline at end of file`;
	return `${op.kind}${body}\n`;
}

/** A `git diff`-style unified diff of one file (a/ and b/ prefixes, 3 lines of context); '' when equal. */
export function unifiedDiff(file: string, before: string, after: string): string {
	if (before === after) return '';
	const ops = lineOps(splitLines(before), splitLines(after));
	const changed = ops.map((op, i) => (op.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
	const hunks: Array<[number, number]> = [];
	for (const index of changed) {
		const from = Math.max(0, index - CONTEXT);
		const to = Math.min(ops.length, index + CONTEXT + 1);
		const last = hunks[hunks.length - 1];
		if (last && from <= last[1]) last[1] = Math.max(last[1], to);
		else hunks.push([from, to]);
	}
	let out = `--- a/${file}\n+++ b/${file}\n`;
	for (const [from, to] of hunks) {
		const before = ops.slice(0, from);
		const oldStart = before.filter((op) => op.kind !== '+').length + 1;
		const newStart = before.filter((op) => op.kind !== '-').length + 1;
		const slice = ops.slice(from, to);
		const oldCount = slice.filter((op) => op.kind !== '+').length;
		const newCount = slice.filter((op) => op.kind !== '-').length;
		out += `@@ -${oldCount === 0 ? oldStart - 1 : oldStart},${oldCount} +${newCount === 0 ? newStart - 1 : newStart},${newCount} @@\n`;
		out += slice.map(renderLine).join('');
	}
	return out;
}
