import { inc, valid } from 'semver';
import { inputError } from '../errors';
import type { ValueType } from '../yaml/scalarStyle';
import { scalarText } from '../yaml/yamlSource';
import { isTreeDirectory } from './manifestTree';
import { loadYamlFile } from './loadYaml';
import { findPathTarget, setPath } from './yamlPathEdit';
import type { EditResult } from './types';

export type VersionBump = 'patch' | 'minor' | 'major' | 'none';

/** semver increment that keeps a leading `v` (`v1.2.3` → `v1.2.4`); semver itself would drop it. */
export function bumpChartVersion(
	version: string,
	bump: Exclude<VersionBump, 'none'>,
): string | undefined {
	const prefix = version.startsWith('v') ? 'v' : '';
	const bare = version.slice(prefix.length);
	if (!valid(bare)) return undefined;
	const next = inc(bare, bump);
	return next ? prefix + next : undefined;
}

/**
 * The `helmChart` mode: one value in the chart's values file and, only when that value really changed on the
 * current branch tip, the Chart.yaml `version` bump Flux needs to build a new chart artifact (so a retried
 * push never bumps twice).
 */
export async function helmChartEdit(
	root: string,
	chartPath: string,
	valuesFile: string,
	valuesPath: string,
	value: string,
	versionBump: VersionBump,
	valueType?: ValueType,
): Promise<EditResult> {
	if (value === '') throw inputError('Value is empty: give the value to write', 'value');
	if (!(await isTreeDirectory(root, chartPath)))
		throw inputError(`Chart folder "${chartPath}" does not exist in the repository`, 'chartPath');
	const prefix = chartPath ? `${chartPath}/` : '';
	const chartFile = `${prefix}Chart.yaml`;
	const chart = await loadYamlFile(root, chartFile, 'chartPath');
	const values = await loadYamlFile(root, `${prefix}${valuesFile}`, 'valuesFile');
	const change = setPath(values, `${prefix}${valuesFile}`, valuesPath, value, undefined, valueType);
	if (!change) return { files: [], changes: [], skipped: [] };
	const result: EditResult = {
		files: [{ file: `${prefix}${valuesFile}`, before: values.text, after: values.toString() }],
		changes: [change],
		skipped: [],
	};
	if (versionBump === 'none') return result;
	const target = findPathTarget(chart, chartFile, 'version');
	const current = scalarText(target.node);
	const next = bumpChartVersion(current, versionBump);
	if (!next)
		throw inputError(
			`Chart version "${current}" in "${chartFile}" is not a semantic version, so it cannot be bumped`,
			'versionBump',
		);
	chart.setScalar(target.node, next, target);
	result.files.push({ file: chartFile, before: chart.text, after: chart.toString() });
	result.changes.push({
		file: chartFile,
		line: chart.lineOf(target.node.range![0]),
		old: current,
		new: next,
	});
	return result;
}
