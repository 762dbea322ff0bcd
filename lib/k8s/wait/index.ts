// Wait for Job engine: watches a Job to its end (watcher, outcome), diagnoses its pods (podDiagnosis, stuckPod),
// reads the log tail (logs) and assembles the node's result (result).
export {
	WAIT_DEFAULTS,
	WaitCancelledError,
	waitForJob,
	type WaitForJobOptions,
	type WaitForJobResult,
	type WaitForJobStats,
} from './waitForJob';
export { JobWatchApiError } from './watcher';
