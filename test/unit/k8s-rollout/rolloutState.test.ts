import {
	argoState,
	fluxState,
	helmReleaseState,
	imageMatches,
	podSelector,
	revisionIs,
	workloadState,
} from '../../../lib/k8s/rollout/rolloutState';

const SHA = '3f2c9a1e5b7d4c6a8e0f1a2b3c4d5e6f7a8b9c0d';

describe('revisions and images', () => {
	it('matches a commit in every revision format Flux and Argo CD write', () => {
		for (const r of [`main@sha1:${SHA}`, `sha1:${SHA}`, `main/${SHA}`, SHA])
			expect(revisionIs(r, SHA)).toBe(true);
		expect(revisionIs(`main@sha1:${SHA}`, SHA.slice(0, 12))).toBe(true);
		expect(revisionIs(`main@sha1:${SHA.replace('3f', '4f')}`, SHA)).toBe(false);
		expect(revisionIs(null, SHA)).toBe(false);
	});

	it('accepts an image asked for without digest, never another tag', () => {
		expect(imageMatches('r/app:1@sha256:aa', 'r/app:1')).toBe(true);
		expect(imageMatches('r/app:1@sha256:aa', 'r/app:1@sha256:aa')).toBe(true);
		expect(imageMatches('r/app:1', 'r/app:1@sha256:aa')).toBe(false);
		expect(imageMatches('r/app:10', 'r/app:1')).toBe(false);
	});
});

describe('source state', () => {
	const flux = (status: object, generation = 1) => ({
		metadata: { generation },
		status: { observedGeneration: 1, ...status },
	});
	const ready = (status: string, reason: string, message = '') => ({
		conditions: [{ type: 'Ready', status, reason, message }],
	});

	it('Flux: applied only with Ready=True for the current generation', () => {
		expect(
			fluxState(
				flux({
					lastAppliedRevision: `main@sha1:${SHA}`,
					...ready('True', 'ReconciliationSucceeded'),
				}),
				SHA,
			).state,
		).toBe('applied');
		expect(
			fluxState(
				flux(
					{ lastAppliedRevision: `main@sha1:${SHA}`, ...ready('True', 'ReconciliationSucceeded') },
					2,
				),
				SHA,
			).state,
		).toBe('pending');
		expect(
			fluxState(
				flux({
					lastAttemptedRevision: `main@sha1:${SHA}`,
					lastAppliedRevision: 'main@sha1:old',
					...ready('False', 'BuildFailed', 'kustomize build failed'),
				}),
				SHA,
			),
		).toEqual({
			state: 'failed',
			revision: `main@sha1:${SHA}`,
			reason: 'BuildFailed',
			message: 'kustomize build failed',
		});
		// A failure of an older commit says nothing about ours.
		expect(
			fluxState(
				flux({ lastAttemptedRevision: 'main@sha1:old', ...ready('False', 'ReconciliationFailed') }),
				SHA,
			).state,
		).toBe('pending');
	});

	it('Argo CD: applied when Synced to the commit and Healthy; a failed sync operation of the commit fails', () => {
		expect(
			argoState(
				{ status: { sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' } } },
				SHA,
			).state,
		).toBe('applied');
		expect(
			argoState(
				{
					status: { sync: { status: 'Synced', revision: SHA }, health: { status: 'Progressing' } },
				},
				SHA,
			).state,
		).toBe('pending');
		expect(
			argoState(
				{
					status: {
						sync: { status: 'OutOfSync', revision: SHA },
						operationState: {
							phase: 'Failed',
							message: 'one or more objects failed to apply',
							syncResult: { revision: SHA },
						},
					},
				},
				SHA,
			),
		).toMatchObject({
			state: 'failed',
			reason: 'SyncFailed',
			message: 'one or more objects failed to apply',
		});
	});
});

describe('HelmRelease state (read after its Kustomization applied the commit)', () => {
	const hr = (conditions: object[], observedGeneration = 3, generation = 3) => ({
		metadata: { namespace: 'prod', name: 'webapp', generation },
		status: { observedGeneration, conditions },
	});
	const c = (type: string, status: string, reason: string, message = '') => ({
		type,
		status,
		reason,
		message,
	});
	const SUCCEEDED = 'Helm upgrade succeeded for release prod/webapp.v3 with chart webapp@0.1.0';
	const FAILED =
		'Helm upgrade failed for release prod/webapp with chart webapp@0.1.0: context deadline exceeded';

	it('is released with Ready=True once helm-controller observed the current generation', () => {
		expect(
			helmReleaseState(
				hr([
					c('Ready', 'True', 'UpgradeSucceeded', SUCCEEDED),
					c('Released', 'True', 'UpgradeSucceeded'),
				]),
			),
		).toEqual({ state: 'released', message: SUCCEEDED });
		expect(helmReleaseState(hr([c('Ready', 'True', 'InstallSucceeded')], 1, 1)).state).toBe(
			'released',
		);
	});

	it("is not released while observedGeneration lags: the Ready=True is the previous spec's", () => {
		const lagging = helmReleaseState(hr([c('Ready', 'True', 'UpgradeSucceeded', SUCCEEDED)], 2, 3));
		expect(lagging).toEqual({
			state: 'pending',
			note: 'helm-controller has not reconciled generation 3 yet (observed 2)',
		});
		// Nor is a failure of the previous spec ours.
		expect(helmReleaseState(hr([c('Ready', 'False', 'UpgradeFailed', FAILED)], 2, 3)).state).toBe(
			'pending',
		);
		expect(helmReleaseState({ metadata: { generation: 1 } }).state).toBe('pending');
	});

	it('fails with the controller reason and message on Ready=False with a *Failed reason', () => {
		for (const reason of ['UpgradeFailed', 'InstallFailed', 'ArtifactFailed'])
			expect(helmReleaseState(hr([c('Ready', 'False', reason, FAILED)]))).toEqual({
				state: 'failed',
				reason,
				message: FAILED,
			});
	});

	it('fails on Stalled=True, naming the Helm failure of Ready when there is one', () => {
		expect(
			helmReleaseState(
				hr([
					c('Ready', 'False', 'UpgradeFailed', FAILED),
					c('Stalled', 'True', 'RetriesExceeded', 'Failed to upgrade after 1 attempt(s)'),
				]),
			),
		).toEqual({ state: 'failed', reason: 'UpgradeFailed', message: FAILED });
		expect(
			helmReleaseState(
				hr([
					c('Ready', 'False', 'RollbackSucceeded', 'Helm rollback to previous release succeeded'),
					c('Stalled', 'True', 'RetriesExceeded', 'Failed to upgrade after 1 attempt(s)'),
				]),
			),
		).toEqual({
			state: 'failed',
			reason: 'RetriesExceeded',
			message: 'Failed to upgrade after 1 attempt(s)',
		});
	});

	it('waits while helm-controller is still working (Ready Unknown, or False without a failure)', () => {
		expect(
			helmReleaseState(hr([c('Ready', 'Unknown', 'Progressing', 'Fresh generation observed')])),
		).toEqual({ state: 'pending', note: 'Ready is Unknown (Fresh generation observed)' });
		expect(
			helmReleaseState(hr([c('Ready', 'False', 'RollbackSucceeded', 'rolled back')])).state,
		).toBe('pending');
	});
});

describe('workload state', () => {
	const deployment = (status: object, image = 'r/app:2') => ({
		metadata: { namespace: 'prod', name: 'web', generation: 2 },
		spec: {
			replicas: 2,
			selector: { matchLabels: { app: 'web' } },
			template: { spec: { containers: [{ name: 'app', image }] } },
		},
		status: {
			observedGeneration: 2,
			replicas: 2,
			updatedReplicas: 2,
			readyReplicas: 2,
			availableReplicas: 2,
			conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
			...status,
		},
	});

	it('is rolled out only as kubectl rollout status says, running the wanted image', () => {
		expect(workloadState('Deployment', deployment({}), 'r/app:2').state).toBe('rolledOut');
		expect(workloadState('Deployment', deployment({}, 'r/app:1'), 'r/app:2').state).toBe(
			'waitingForImage',
		);
		expect(
			workloadState('Deployment', deployment({ observedGeneration: 1 }), 'r/app:2').state,
		).toBe('progressing');
		expect(workloadState('Deployment', deployment({ replicas: 3 }), 'r/app:2').state).toBe(
			'progressing',
		);
		expect(workloadState('Deployment', deployment({ availableReplicas: 1 }), 'r/app:2').state).toBe(
			'progressing',
		);
		expect(
			workloadState(
				'Deployment',
				deployment({
					conditions: [
						{
							type: 'Progressing',
							status: 'False',
							reason: 'ProgressDeadlineExceeded',
							message: 'ReplicaSet "web-1" has timed out progressing.',
						},
					],
				}),
				'r/app:2',
			),
		).toMatchObject({ state: 'failed', reason: 'ProgressDeadlineExceeded' });
	});

	it('builds the pod selector from matchLabels and matchExpressions', () => {
		expect(
			podSelector({
				spec: {
					selector: {
						matchLabels: { app: 'web' },
						matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }],
					},
				},
			}),
		).toBe('app=web,tier in (a,b)');
	});
});
