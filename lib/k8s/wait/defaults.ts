/** Defaults of a wait, shared with the node's parameters (failOnJobFailure is the node's: throw or output). */
export const WAIT_DEFAULTS = {
	timeoutSeconds: 1800,
	stuckAfterSeconds: 300,
	logTailLines: 50,
	deleteWhenDone: false,
	failOnJobFailure: true,
} as const;
