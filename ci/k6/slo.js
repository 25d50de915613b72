// The service's objectives, as k6 thresholds. Every scenario takes its thresholds from here;
// ci/k6/README.md says where each number comes from.

// Per flow (the `flow` tag every request carries): milliseconds at the 95th and 99th percentile.
const FLOW_LATENCY_MS = {
  me: { p95: 150, p99: 400 },
  list: { p95: 200, p99: 500 },
  get: { p95: 150, p99: 400 },
  download: { p95: 200, p99: 500 },
  delete: { p95: 300, p99: 800 },
  upload_small: { p95: 500, p99: 1200 },
  upload_start: { p95: 300, p99: 800 },
  upload_put: { p95: 500, p99: 1200 },
  upload_complete: { p95: 500, p99: 1200 },
};
const FLOWS = Object.keys(FLOW_LATENCY_MS);

// At most one request in a thousand may fail (99.9% availability); checks hold as often.
export const ERROR_RATE_MAX = 0.001;
const CHECKS_RATE_MIN = 0.999;
// What a client waits before it gives up: a slower answer counts as a failed request.
export const REQUEST_TIMEOUT = '10s';
// Give a run this long before a breach stops it: a few slow first requests are no verdict.
const ABORT_DELAY = '10s';

export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'];

function aborting(expression) {
  return { threshold: expression, abortOnFail: true, delayAbortEval: ABORT_DELAY };
}

// `metric{flow:NAME}` (or `metric{flow:NAME,phase:PHASE}`) for every flow.
function perFlow(metric, expressions, phase = '') {
  const thresholds = {};
  for (const flow of FLOWS) {
    const selector = phase ? `flow:${flow},phase:${phase}` : `flow:${flow}`;
    thresholds[`${metric}{${selector}}`] = expressions(FLOW_LATENCY_MS[flow]);
  }
  return thresholds;
}

function percentiles(ms) {
  return [`p(95)<${ms.p95}`, `p(99)<${ms.p99}`];
}

// Smoke: every flow ran, every check passed, nothing failed, each answer within its p99 budget.
export function smokeThresholds() {
  return {
    checks: ['rate==1'],
    http_req_failed: ['rate==0'],
    ...perFlow('http_req_duration', (ms) => [`max<${ms.p99}`]),
    ...perFlow('http_reqs', () => ['count>=1']),
  };
}

// Load and soak: the objectives themselves. A run that is failing badly stops early.
export function steadyThresholds() {
  return {
    http_req_failed: [`rate<${ERROR_RATE_MAX}`, aborting('rate<0.05')],
    checks: [`rate>${CHECKS_RATE_MIN}`],
    // The VUs ran out: the app answered too slowly for the offered rate.
    dropped_iterations: ['count==0'],
    ...perFlow('http_req_duration', percentiles),
  };
}

// Stress and spike: while overloaded, requests may queue and time out, but the app never answers
// with a server error (a 5xx is a bug); once the load is back to normal, so are the objectives.
export function recoveryThresholds() {
  return {
    server_errors: [aborting(`rate<${ERROR_RATE_MAX}`)],
    'http_req_failed{phase:recovery}': [`rate<${ERROR_RATE_MAX}`],
    'checks{phase:recovery}': [`rate>${CHECKS_RATE_MIN}`],
    ...perFlow('http_req_duration', percentiles, 'recovery'),
  };
}

// A chaos experiment's probe: its own tolerance for failed requests (at most that share) and, when
// given, one bound for every answer's 99th percentile instead of the objectives per flow.
export function probeThresholds({ errorRateMax = ERROR_RATE_MAX, p99Ms = null } = {}) {
  return {
    http_req_failed: [{ threshold: `rate<=${errorRateMax}`, abortOnFail: true, delayAbortEval: '1s' }],
    checks: [`rate>=${1 - errorRateMax}`],
    ...(p99Ms === null ? perFlow('http_req_duration', (ms) => [`p(99)<${ms.p99}`]) : {
      http_req_duration: [`p(99)<${p99Ms}`],
    }),
  };
}
