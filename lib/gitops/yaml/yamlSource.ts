import { Composer, CST, Document, LineCounter, Parser, Scalar, isScalar } from 'yaml';
import { scalarTypeFor, type ValueType } from './scalarStyle';

/**
 * One YAML file held as its original CST tokens plus the documents composed from them. Nodes are found with
 * the ordinary Document API; values are written back into the source tokens (CST.setScalarValue), so printing
 * reproduces every untouched byte: comments, quoting, indentation, CRLF, BOM, a missing final newline.
 */
export class YamlSource {
	readonly documents: Document.Parsed[];

	private readonly tokens: CST.Token[];

	private readonly lines = new LineCounter();

	private edited = false;

	constructor(readonly text: string) {
		const parser = new Parser(this.lines.addNewLine);
		this.tokens = Array.from(parser.parse(text));
		this.documents = Array.from(new Composer({ keepSourceTokens: true }).compose(this.tokens));
	}

	/** The first parse error, if any (a file with one is never rewritten). */
	get error(): string | undefined {
		for (const doc of this.documents) {
			const [first] = doc.errors;
			if (first)
				return `${first.code} at line ${this.lineOf(first.pos[0])}: ${first.message.split('\n')[0]}`;
		}
		return undefined;
	}

	lineOf(offset: number): number {
		return this.lines.linePos(offset).line;
	}

	/**
	 * Writes `value` into the scalar's source token. Returns false when the scalar already holds exactly that
	 * value and type (then nothing is touched). The token keeps its quoting unless the plain form would change type.
	 */
	setScalar(
		node: Scalar,
		value: string,
		context: { inFlow: boolean; afterKey: boolean },
		valueType: ValueType = 'auto',
	): boolean {
		const sameType = valueType === 'auto' || typeof node.value === valueType;
		if (scalarText(node) === value && sameType) return false;
		const token = node.srcToken;
		if (!token) throw new Error('YAML node has no source token (parse with keepSourceTokens)');
		CST.setScalarValue(token, value, {
			...context,
			type: scalarTypeFor(node, value, context.inFlow, valueType),
		});
		this.edited = true;
		return true;
	}

	get changed(): boolean {
		return this.edited;
	}

	toString(): string {
		return this.tokens.map((token) => CST.stringify(token)).join('');
	}
}

/** The scalar's value as the text a user would compare with (`1.10` stays `1.10`, not 1.1). */
export function scalarText(node: Scalar): string {
	if (typeof node.value === 'string') return node.value;
	return node.source ?? String(node.value);
}

export function isStringScalar(node: unknown): node is Scalar<string> {
	return isScalar(node) && typeof node.value === 'string';
}
