import { imagePolicyMarkerEdit } from './imagePolicyMarkers';
import { imageReferenceEdit } from './imageReferenceEdit';
import { helmChartEdit } from './helmChartEdit';
import { repoPath } from './manifestTree';
import { yamlPathEdit } from './yamlPathEdit';
import type { EditResult, ManifestEdit } from './types';

/** Computes an edit against the work tree at `root` without writing anything. */
export async function planEdit(root: string, edit: ManifestEdit): Promise<EditResult> {
	switch (edit.mode) {
		case 'imagePolicyMarkers':
			return imagePolicyMarkerEdit(root, repoPath(edit.path, 'path'), edit.policies, true);
		case 'yamlPath':
			return yamlPathEdit(root, repoPath(edit.file, 'file'), edit.yamlPath, edit.value, { kind: edit.documentKind, name: edit.documentName });
		case 'imageReference':
			return imageReferenceEdit(root, repoPath(edit.path, 'path'), { imageRepository: edit.imageRepository, tag: edit.tag, digest: edit.digest });
		case 'helmChart':
			return helmChartEdit(root, repoPath(edit.chartPath, 'chartPath'), edit.valuesFile || 'values.yaml', edit.valuesPath, edit.value, edit.versionBump);
	}
}
