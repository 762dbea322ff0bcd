import { describeKubernetesError } from '../../../lib/k8s/apiError';

describe('describeKubernetesError', () => {
	it('keeps the status and the server message of an HTTP failure', () => {
		const body = JSON.stringify({
			kind: 'Status',
			reason: 'Forbidden',
			message: 'jobs.batch is forbidden',
			code: 403,
		});
		expect(describeKubernetesError({ code: 403, body })).toEqual({
			statusCode: 403,
			reason: 'Forbidden',
			message: 'jobs.batch is forbidden',
		});
	});

	it('gives a failure without an HTTP status a fixed text and its error code, never its message', () => {
		const token = 'KubeTok-canary-3f1\nPATH=/usr/bin';
		const headerError = new TypeError(
			`Headers.append: "Bearer ${token}" is an invalid header value.`,
		);
		expect(describeKubernetesError(headerError)).toEqual({
			message: 'no HTTP response from the API server',
		});
		const refused = Object.assign(new TypeError('fetch failed'), {
			cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
		});
		expect(describeKubernetesError(refused)).toEqual({
			message: 'no HTTP response from the API server (ECONNREFUSED)',
		});
		const missingFile = Object.assign(
			new Error(
				"ENOENT: no such file or directory, open '/var/run/secrets/kubernetes.io/serviceaccount/token'",
			),
			{ code: 'ENOENT' },
		);
		expect(describeKubernetesError(missingFile).message).toBe(
			'no HTTP response from the API server (ENOENT)',
		);
	});

	it('drops an error code that is not a plain constant', () => {
		expect(
			describeKubernetesError({ code: 'secret value with spaces', cause: { code: 'x'.repeat(8) } })
				.message,
		).toBe('no HTTP response from the API server');
	});
});
