import { quoteValue } from '../../errors';
import { isImageDigest, isImageTag, parseImageReference } from '../../imageReference/reference';
import { inputError } from '../errors';
import { plainIsNumber, type ValueType } from '../yaml/scalarStyle';
import { parseYamlPath } from '../yaml/yamlPath';
import { BUMP_DEFAULTS } from '../defaults';
import { repoPath } from './manifestTree';
import type { CheckedEdit, ManifestEdit } from './types';

function checkTag(tag: string, field: string): void {
	if (!isImageTag(tag)) {
		throw inputError(
			`${field} ${quoteValue(tag)} is not a valid image tag: use letters, digits, "_", "." and "-", at most 128, not starting with "." or "-" (e.g. 1.2.3)`,
			field,
		);
	}
}

function checkDigest(digest: string, field: string): void {
	if (!isImageDigest(digest)) {
		throw inputError(
			`${field} ${quoteValue(digest)} is not a valid image digest: use sha256: followed by 64 lower-case hex digits (or sha384/sha512)`,
			field,
		);
	}
}

/** An image a marker gets: a full reference with a tag and/or digest (an untagged name would mean "latest"). */
function checkMarkerImage(image: string): void {
	const ref = parseImageReference(image, 'image');
	if (!ref.tag && !ref.digest)
		throw inputError(
			`image ${quoteValue(image)} has no tag: give name:tag, e.g. ${ref.repository}:1.2.3`,
			'image',
		);
}

function checkImageRepository(repository: string): void {
	if (!repository) return; // the edit itself says what to give
	const ref = parseImageReference(repository, 'imageRepository');
	if (ref.tag || ref.digest) {
		throw inputError(
			`imageRepository ${quoteValue(repository)} has a tag or digest: give the repository alone (${ref.repository}) and the new tag in Tag`,
			'imageRepository',
		);
	}
}

/** A Helm value whose key names an image tag (tag, imageTag, image_tag…) or digest is checked as one. */
function checkHelmValue(valuesPath: string, value: string): void {
	const key = parseYamlPath(valuesPath, 'valuesPath').at(-1);
	if (typeof key !== 'string' || value === '') return;
	if (/(?:^|[._-])tag$|[a-z0-9]Tag$/.test(key)) checkTag(value, 'value');
	else if (/(?:^|[._-])digest$|[a-z0-9]Digest$/.test(key)) checkDigest(value, 'value');
}

const VALUE_TYPES: readonly ValueType[] = ['auto', 'string', 'number'];

/** Value Type: one of VALUE_TYPES; `number` needs a value YAML 1.1 and 1.2 both read as that number. */
function checkValueType(value: string, valueType: ValueType | undefined): void {
	if (valueType === undefined) return;
	if (!VALUE_TYPES.includes(valueType))
		throw inputError(
			`valueType ${quoteValue(valueType)} is not one of ${VALUE_TYPES.join(', ')}`,
			'valueType',
		);
	if (valueType === 'number' && value !== '' && !plainIsNumber(value)) {
		throw inputError(
			`value ${quoteValue(value)} is not a number, and Value Type is Number: give a number such as 3 or 0.5, or set Value Type to Auto or String`,
			'value',
		);
	}
}

/**
 * Checks an edit before any git command runs and returns it with normalised paths: every path stays in the
 * repository, and every image, tag or digest it writes follows the distribution reference grammar, so a
 * value can never add lines, keys or comments to a manifest. Errors name the parameter.
 */
export function checkEdit(edit: ManifestEdit): CheckedEdit {
	return checked(edit) as CheckedEdit;
}

function checked(edit: ManifestEdit): ManifestEdit {
	switch (edit.mode) {
		case 'imagePolicyMarkers':
			Object.values(edit.policies).forEach(checkMarkerImage);
			return { ...edit, path: repoPath(edit.path, 'path') };
		case 'yamlPath':
			checkValueType(edit.value, edit.valueType);
			return { ...edit, file: repoPath(edit.file, 'file') };
		case 'imageReference':
			checkImageRepository(edit.imageRepository);
			if (edit.tag !== undefined) checkTag(edit.tag, 'tag');
			if (edit.digest !== undefined) checkDigest(edit.digest, 'digest');
			return { ...edit, path: repoPath(edit.path, 'path') };
		case 'helmChart':
			checkHelmValue(edit.valuesPath, edit.value);
			checkValueType(edit.value, edit.valueType);
			return {
				...edit,
				chartPath: repoPath(edit.chartPath, 'chartPath'),
				valuesFile:
					repoPath(edit.valuesFile || BUMP_DEFAULTS.valuesFile, 'valuesFile', 'the chart folder') ||
					BUMP_DEFAULTS.valuesFile,
			};
	}
}
