/**
 * Just enough of the Kubernetes protobuf envelope to read what kubectl POSTs for `auth can-i`
 * (SelfSubjectAccessReview, SelfSubjectRulesReview): `k8s\0` + runtime.Unknown{typeMeta, raw}, raw being the
 * review message (field numbers from k8s.io/api/authorization/v1/generated.proto). Replies go out as JSON,
 * which kubectl accepts.
 */
type Fields = Map<number, Array<Buffer | number>>;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export function isProtobufContentType(contentType: string | undefined): boolean {
	return (contentType ?? '').startsWith('application/vnd.kubernetes.protobuf');
}

function readVarint(buf: Buffer, pos: number): [number, number] {
	let result = 0;
	let shift = 0;
	for (;;) {
		if (pos >= buf.length) throw new Error('truncated varint');
		const byte = buf[pos++];
		result += (byte & 0x7f) * 2 ** shift;
		if ((byte & 0x80) === 0) return [result, pos];
		shift += 7;
	}
}

function readFields(buf: Buffer): Fields {
	const fields: Fields = new Map();
	let pos = 0;
	while (pos < buf.length) {
		const [tag, afterTag] = readVarint(buf, pos);
		const field = Math.floor(tag / 8);
		const wire = tag & 7;
		let value: Buffer | number;
		if (wire === 0) [value, pos] = readVarint(buf, afterTag);
		else if (wire === 2) {
			const [len, start] = readVarint(buf, afterTag);
			value = buf.subarray(start, start + len);
			pos = start + len;
		} else if (wire === 1) [value, pos] = [0, afterTag + 8];
		else if (wire === 5) [value, pos] = [0, afterTag + 4];
		else throw new Error(`unsupported protobuf wire type ${wire}`);
		const list = fields.get(field) ?? [];
		list.push(value);
		fields.set(field, list);
	}
	return fields;
}

function str(fields: Fields, n: number): string | undefined {
	const v = fields.get(n)?.[0];
	return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

function sub(fields: Fields, n: number): Fields | undefined {
	const v = fields.get(n)?.[0];
	return Buffer.isBuffer(v) ? readFields(v) : undefined;
}

function defined<T extends object>(obj: T): T {
	return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** Decodes a protobuf review body into the JSON object the JSON path would have received. */
export function decodeReview(body: Buffer): any {
	if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
		throw new Error('missing k8s protobuf magic');
	const unknown = readFields(body.subarray(4));
	const typeMeta = sub(unknown, 1);
	const apiVersion = typeMeta ? str(typeMeta, 1) : undefined;
	const kind = typeMeta ? str(typeMeta, 2) : undefined;
	const raw = sub(unknown, 2);
	if (!raw) throw new Error('protobuf body has no raw object');
	const spec = sub(raw, 2) ?? new Map();
	if (kind === 'SelfSubjectRulesReview')
		return { apiVersion, kind, spec: defined({ namespace: str(spec, 1) }) };
	const ra = sub(spec, 1);
	const nra = sub(spec, 2);
	const out: any = { apiVersion, kind, spec: {} };
	if (ra) {
		out.spec.resourceAttributes = defined({
			namespace: str(ra, 1),
			verb: str(ra, 2),
			group: str(ra, 3),
			version: str(ra, 4),
			resource: str(ra, 5),
			subresource: str(ra, 6),
			name: str(ra, 7),
		});
	}
	if (nra) out.spec.nonResourceAttributes = defined({ path: str(nra, 1), verb: str(nra, 2) });
	return out;
}

// Encoding helpers, used by the stand-in's own tests to build exactly what kubectl sends.
function varint(n: number): Buffer {
	const bytes: number[] = [];
	while (n > 127) {
		bytes.push((n % 128) | 0x80);
		n = Math.floor(n / 128);
	}
	bytes.push(n);
	return Buffer.from(bytes);
}

function lenField(field: number, value: Buffer | string): Buffer {
	const data = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
	return Buffer.concat([varint(field * 8 + 2), varint(data.length), data]);
}

export function encodeAccessReview(attrs: Record<string, string | undefined>): Buffer {
	const order = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
	const ra = Buffer.concat(
		order.map((k, i) => (attrs[k] === undefined ? Buffer.alloc(0) : lenField(i + 1, attrs[k]!))),
	);
	const raw = Buffer.concat([lenField(1, Buffer.alloc(0)), lenField(2, lenField(1, ra))]);
	const typeMeta = Buffer.concat([
		lenField(1, 'authorization.k8s.io/v1'),
		lenField(2, 'SelfSubjectAccessReview'),
	]);
	return Buffer.concat([MAGIC, lenField(1, typeMeta), lenField(2, raw)]);
}
