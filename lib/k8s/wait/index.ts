// Wait for Job engine: watches a Job to its end (watcher, outcome), diagnoses its pods (podDiagnosis, stuckPod),
// reads the log tail (logs) and assembles the node's result (result).
export {
	WaitCancelledError,
	waitForJob,
	type WaitForJobOptions,
	type WaitForJobResult,
	type WaitForJobStats,
} from './waitForJob';
export { WAIT_DEFAULTS } from './defaults';
export { JobWatchApiError } from './watcher';
