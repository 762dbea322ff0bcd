import { startPushgateway } from '.';

const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();

test('a Pushgateway starts empty, whatever one stopped before it held', async () => {
	const first = await startPushgateway();
	try {
		const pushed = await fetch(`${first.url}/metrics/job/leak_check`, {
			method: 'POST',
			body: '# TYPE leak_check_value gauge\nleak_check_value 42\n',
		});
		expect(pushed.status).toBe(200);
		expect(await metrics(first.url)).toContain('leak_check_value{instance="",job="leak_check"} 42');
	} finally {
		await first.stop();
	}
	const second = await startPushgateway();
	try {
		expect(await metrics(second.url)).not.toContain('leak_check');
	} finally {
		await second.stop();
	}
});
