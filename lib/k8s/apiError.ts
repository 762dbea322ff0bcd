/**
 * Turns whatever @kubernetes/client-node throws into a status code and the server's own `Status` message.
 * ApiException.body is the raw response text (a JSON v1.Status) and is undefined on 401. An error without an
 * HTTP status gets a fixed text and its error code only, never its message: such messages can carry a request
 * header value (an invalid bearer token is quoted whole) or a local file path.
 */
export interface KubernetesApiFailure {
	statusCode?: number;
	reason?: string;
	message: string;
	/** Set when a ValidatingAdmissionPolicy refused the request: the policy, its binding and the rule's message. */
	admissionPolicy?: AdmissionDenial;
}

// A type, not an interface: it must stay assignable to n8n's JsonObject (NodeApiError's error response).
export type AdmissionDenial = {
	policy: string;
	binding?: string;
	rule: string;
};

// The apiserver's wording (k8s.io/apiserver/pkg/admission/plugin/policy/validating/dispatcher.go).
const ADMISSION_DENIAL =
	/ValidatingAdmissionPolicy '([^']+)'(?: with binding '([^']+)')? denied request: (.*)$/s;

/** What to do about an admission policy denial (its rule names the refused field). */
export function hintForAdmissionDenial(policy: string): string {
	return `The cluster's admission policy "${policy}" admits only Jobs of the shape it allows: change the option the message names, or have the cluster admin relax the policy (deploy/admission: the params ConfigMap build-job-policy).`;
}

function admissionDenial(message: string | undefined): AdmissionDenial | undefined {
	const m = message ? ADMISSION_DENIAL.exec(message) : null;
	return m ? { policy: m[1], ...(m[2] ? { binding: m[2] } : {}), rule: m[3] } : undefined;
}

export function describeKubernetesError(error: unknown): KubernetesApiFailure {
	const e = error as {
		code?: unknown;
		statusCode?: unknown;
		body?: unknown;
		message?: unknown;
		cause?: { code?: unknown; message?: unknown };
	};
	const statusCode =
		typeof e?.code === 'number'
			? e.code
			: typeof e?.statusCode === 'number'
				? e.statusCode
				: undefined;
	let status: { reason?: string; message?: string } | undefined;
	if (typeof e?.body === 'string') {
		try {
			status = JSON.parse(e.body);
		} catch {
			status = undefined;
		}
	} else if (e?.body && typeof e.body === 'object') {
		status = e.body as { reason?: string; message?: string };
	}
	if (statusCode !== undefined) {
		const fallback =
			statusCode === 401
				? 'Unauthorized: the token or client certificate was not accepted'
				: `HTTP ${statusCode}`;
		const admissionPolicy = admissionDenial(status?.message);
		return {
			statusCode,
			reason: status?.reason,
			message: status?.message || fallback,
			...(admissionPolicy ? { admissionPolicy } : {}),
		};
	}
	const code = [e?.cause?.code, e?.code].find(
		(c): c is string => typeof c === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(c),
	);
	return { message: `no HTTP response from the API server${code ? ` (${code})` : ''}` };
}
