import { celFunc, celMethod, CelScalar, objectType, type CelFunc } from '@bufbuild/cel';
import { create, createFileRegistry, type DescMessage, type Registry } from '@bufbuild/protobuf';
import {
	FieldDescriptorProto_Label,
	FieldDescriptorProto_Type,
	FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import type { ReflectMessage } from '@bufbuild/protobuf/reflect';

/**
 * Kubernetes' CEL quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go) for @bufbuild/cel, which
 * ships only the standard functions and the strings extension. Values are exact decimals (mantissa × 10^exp,
 * as apimachinery's resource.Quantity): no float rounding in a limit check. No npm package parses quantities
 * exactly (client-node's quantityToScalar throws on "1.5Gi"), hence the small parser here.
 *
 * A Quantity is a CEL object of type `kubernetes.Quantity` (the name Kubernetes uses), a message whose single
 * field holds the canonical value, so CEL's `==` compares values: quantity('200M') == quantity('0.2G').
 */
export interface Decimal {
	mantissa: bigint;
	exp: number;
}

const SUFFIX_EXP: Record<string, number> = {
	n: -9,
	u: -6,
	m: -3,
	'': 0,
	k: 3,
	M: 6,
	G: 9,
	T: 12,
	P: 15,
	E: 18,
};
const BINARY: Record<string, bigint> = {
	Ki: 1n << 10n,
	Mi: 1n << 20n,
	Gi: 1n << 30n,
	Ti: 1n << 40n,
	Pi: 1n << 50n,
	Ei: 1n << 60n,
};
const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function normalize(d: Decimal): Decimal {
	if (d.mantissa === 0n) return { mantissa: 0n, exp: 0 };
	let { mantissa, exp } = d;
	while (mantissa % 10n === 0n) {
		mantissa /= 10n;
		exp++;
	}
	return { mantissa, exp };
}

/** resource.ParseQuantity's grammar: <signedNumber><suffix>, suffix binary SI, decimal SI or an exponent. */
export function parseQuantity(text: string): Decimal {
	const m = QUANTITY.exec(text);
	if (!m)
		throw new Error(
			"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
		);
	const [, sign, number, suffix = ''] = m;
	const [whole, fraction = ''] = number.split('.');
	let mantissa = BigInt(`${whole || '0'}${fraction}`) * (sign === '-' ? -1n : 1n);
	let exp = -fraction.length;
	if (suffix in BINARY) mantissa *= BINARY[suffix];
	else if (suffix in SUFFIX_EXP) exp += SUFFIX_EXP[suffix];
	else exp += Number(suffix.slice(1));
	return normalize({ mantissa, exp });
}

function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
	const exp = Math.min(a.exp, b.exp);
	return [a.mantissa * 10n ** BigInt(a.exp - exp), b.mantissa * 10n ** BigInt(b.exp - exp), exp];
}

export function compare(a: Decimal, b: Decimal): number {
	const [x, y] = aligned(a, b);
	return x === y ? 0 : x > y ? 1 : -1;
}

function sum(a: Decimal, b: Decimal, sign: 1n | -1n): Decimal {
	const [x, y, exp] = aligned(a, b);
	return normalize({ mantissa: x + sign * y, exp });
}

function asInt64(d: Decimal): bigint | undefined {
	if (d.exp < 0) return undefined;
	const v = d.mantissa * 10n ** BigInt(d.exp);
	return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

const FILE = create(FileDescriptorProtoSchema, {
	name: 'kubernetes/quantity.proto',
	package: 'kubernetes',
	syntax: 'proto3',
	messageType: [
		{
			name: 'Quantity',
			field: [
				{
					name: 'value',
					jsonName: 'value',
					number: 1,
					type: FieldDescriptorProto_Type.STRING,
					label: FieldDescriptorProto_Label.OPTIONAL,
				},
			],
		},
	],
});
export const quantityRegistry: Registry = createFileRegistry(FILE, () => undefined);
const QuantityDesc = quantityRegistry.getMessage('kubernetes.Quantity') as DescMessage;
const QUANTITY_TYPE = objectType(QuantityDesc);

const toCel = (d: Decimal) => create(QuantityDesc, { value: `${d.mantissa}e${d.exp}` } as never);
function fromCel(q: ReflectMessage): Decimal {
	const [mantissa, exp] = String((q.message as unknown as { value: string }).value).split('e');
	return { mantissa: BigInt(mantissa), exp: Number(exp) };
}
const signOf = (d: Decimal): bigint => (d.mantissa > 0n ? 1n : d.mantissa < 0n ? -1n : 0n);
const fromInt = (n: bigint): Decimal => normalize({ mantissa: n, exp: 0 });

const { STRING, BOOL, INT, DOUBLE } = CelScalar;

export const quantityFunctions: CelFunc[] = [
	celFunc('quantity', [STRING], QUANTITY_TYPE, (s) => toCel(parseQuantity(s))),
	celFunc('isQuantity', [STRING], BOOL, (s) => QUANTITY.test(s)),
	// Declared as a global function upstream and documented as a method: both forms work.
	celFunc('sign', [QUANTITY_TYPE], INT, (q) => signOf(fromCel(q))),
	celMethod('sign', QUANTITY_TYPE, [], INT, function () {
		return signOf(fromCel(this));
	}),
	celMethod('isGreaterThan', QUANTITY_TYPE, [QUANTITY_TYPE], BOOL, function (o) {
		return compare(fromCel(this), fromCel(o)) === 1;
	}),
	celMethod('isLessThan', QUANTITY_TYPE, [QUANTITY_TYPE], BOOL, function (o) {
		return compare(fromCel(this), fromCel(o)) === -1;
	}),
	celMethod('compareTo', QUANTITY_TYPE, [QUANTITY_TYPE], INT, function (o) {
		return BigInt(compare(fromCel(this), fromCel(o)));
	}),
	celMethod('isInteger', QUANTITY_TYPE, [], BOOL, function () {
		return asInt64(fromCel(this)) !== undefined;
	}),
	celMethod('asInteger', QUANTITY_TYPE, [], INT, function () {
		const v = asInt64(fromCel(this));
		if (v === undefined) throw new Error('cannot convert value to integer');
		return v;
	}),
	celMethod('asApproximateFloat', QUANTITY_TYPE, [], DOUBLE, function () {
		const d = fromCel(this);
		return Number(`${d.mantissa}e${d.exp}`);
	}),
	celMethod('add', QUANTITY_TYPE, [QUANTITY_TYPE], QUANTITY_TYPE, function (o) {
		return toCel(sum(fromCel(this), fromCel(o), 1n));
	}),
	celMethod('add', QUANTITY_TYPE, [INT], QUANTITY_TYPE, function (n) {
		return toCel(sum(fromCel(this), fromInt(n), 1n));
	}),
	celMethod('sub', QUANTITY_TYPE, [QUANTITY_TYPE], QUANTITY_TYPE, function (o) {
		return toCel(sum(fromCel(this), fromCel(o), -1n));
	}),
	celMethod('sub', QUANTITY_TYPE, [INT], QUANTITY_TYPE, function (n) {
		return toCel(sum(fromCel(this), fromInt(n), -1n));
	}),
];
