import { classifyJob, isTerminal, toIsoTime } from '../../../lib/k8s/wait/outcome';
import { isPermanentFailure } from '../../../lib/k8s/wait/watcher';
import {
	backoffFailedStatus,
	completeStatus,
	deadlineFailedStatus,
	job,
	runningStatus,
} from './fixtures';

describe('classifyJob', () => {
	it('is succeeded on Complete=True, finishing at completionTime', () => {
		const progress = classifyJob(job(completeStatus));
		expect(progress).toEqual({
			state: 'succeeded',
			reason: 'CompletionsReached',
			message: 'Reached expected number of succeeded pods',
			finishedAt: '2025-11-20T10:01:31.000Z',
		});
		expect(isTerminal(progress)).toBe(true);
	});

	it('is failed on Failed=True with the condition reason and its transition time', () => {
		expect(classifyJob(job(backoffFailedStatus))).toMatchObject({
			state: 'failed',
			reason: 'BackoffLimitExceeded',
			finishedAt: '2025-11-20T10:00:46.000Z',
		});
		expect(classifyJob(job(deadlineFailedStatus))).toMatchObject({
			state: 'failed',
			reason: 'DeadlineExceeded',
			message: 'Job was active longer than specified deadline',
		});
	});

	it('reports SuccessCriteriaMet and FailureTarget as finishing, not terminal', () => {
		const success = classifyJob(
			job({ ...runningStatus, conditions: [completeStatus!.conditions![0]] }),
		);
		expect(success).toMatchObject({
			state: 'finishing',
			toward: 'succeeded',
			reason: 'CompletionsReached',
		});
		expect(isTerminal(success)).toBe(false);
		const failure = classifyJob(
			job({ ...runningStatus, conditions: [backoffFailedStatus!.conditions![0]] }),
		);
		expect(failure).toMatchObject({
			state: 'finishing',
			toward: 'failed',
			reason: 'BackoffLimitExceeded',
		});
		expect(isTerminal(failure)).toBe(false);
	});

	it('ignores conditions whose status is not True', () => {
		const progress = classifyJob(
			job({
				...runningStatus,
				conditions: [{ type: 'Failed', status: 'False', reason: 'BackoffLimitExceeded' }],
			}),
		);
		expect(progress.state).toBe('running');
	});

	it('tells running, pending and suspended apart', () => {
		expect(classifyJob(job(runningStatus)).state).toBe('running');
		expect(classifyJob(job({})).state).toBe('pending');
		expect(classifyJob({ ...job({}), spec: { suspend: true } }).state).toBe('suspended');
		expect(
			classifyJob(
				job({ conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] }),
			).state,
		).toBe('suspended');
	});

	it('accepts the typed client shape, where timestamps are Date objects', () => {
		const typed = job({
			startTime: new Date('2025-11-20T10:00:01Z'),
			completionTime: new Date('2025-11-20T10:01:31Z'),
			conditions: [
				{ type: 'Complete', status: 'True', lastTransitionTime: new Date('2025-11-20T10:01:31Z') },
			],
		});
		expect(classifyJob(typed)).toMatchObject({
			state: 'succeeded',
			reason: 'Complete',
			finishedAt: '2025-11-20T10:01:31.000Z',
		});
	});

	it('matches condition types case-insensitively, as kubectl wait does', () => {
		expect(classifyJob(job({ conditions: [{ type: 'complete', status: 'True' }] })).state).toBe(
			'succeeded',
		);
	});
});

describe('toIsoTime', () => {
	it('normalises strings, Dates and keeps milliseconds', () => {
		expect(toIsoTime('2025-11-20T10:00:01.123456Z')).toBe('2025-11-20T10:00:01.123Z');
		expect(toIsoTime(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
		expect(toIsoTime('not a time')).toBeUndefined();
		expect(toIsoTime(undefined)).toBeUndefined();
	});
});

describe('isPermanentFailure', () => {
	it('gives up on refusals, retries on 410, throttling, conflicts, server errors and network errors', () => {
		for (const code of [400, 401, 403, 404, 422]) expect(isPermanentFailure(code)).toBe(true);
		for (const code of [408, 409, 410, 429, 500, 503, undefined])
			expect(isPermanentFailure(code)).toBe(false);
	});
});
