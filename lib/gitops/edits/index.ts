import { checkEdit } from './checkEdit';
import { imagePolicyMarkerEdit } from './imagePolicyMarkers';
import { imageReferenceEdit } from './imageReferenceEdit';
import { helmChartEdit } from './helmChartEdit';
import { yamlPathEdit } from './yamlPathEdit';
import type { CheckedEdit, EditResult } from './types';

export { checkEdit };

/** Computes an edit (checked once, by checkEdit, before any retry) against the work tree at `root` without writing anything. */
export async function planEdit(root: string, edit: CheckedEdit): Promise<EditResult> {
	switch (edit.mode) {
		case 'imagePolicyMarkers':
			return imagePolicyMarkerEdit(root, edit.path, edit.policies, true);
		case 'yamlPath':
			return yamlPathEdit(
				root,
				edit.file,
				edit.yamlPath,
				edit.value,
				{ kind: edit.documentKind, name: edit.documentName },
				edit.valueType,
			);
		case 'imageReference':
			return imageReferenceEdit(root, edit.path, {
				imageRepository: edit.imageRepository,
				tag: edit.tag,
				digest: edit.digest,
			});
		case 'helmChart':
			return helmChartEdit(
				root,
				edit.chartPath,
				edit.valuesFile,
				edit.valuesPath,
				edit.value,
				edit.versionBump,
				edit.valueType,
			);
	}
}
