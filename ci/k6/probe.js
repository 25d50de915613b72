// Probe: a short burst of round trips (who am I, the newest page, then upload, read back, link,
// delete) for a chaos experiment's steady state. Exit 0: the service held its tolerance; exit 99:
// it did not (the summary says how often it failed). It needs no seeded data, so a fault cannot
// break its setup; teardown removes whatever a failed delete left behind.
//   PROBE_RATE      round trips a second (5)
//   PROBE_DURATION  how long (10s)
//   MAX_ERROR_RATE  the share of requests allowed to fail (the objective, 0.001); 0 for none
//   MAX_P99_MS      one bound for every answer's p99 (else the objectives per flow)
import { list, me, requireConfiguration, runPrefix, writeSmall } from './api.js';
import { ERROR_RATE_MAX, probeThresholds, SUMMARY_TREND_STATS } from './slo.js';

export { teardown } from './api.js';

const RATE = Number(__ENV.PROBE_RATE || 5);

export const options = {
  scenarios: {
    probe: {
      executor: 'constant-arrival-rate',
      exec: 'roundTrip',
      rate: RATE,
      timeUnit: '1s',
      duration: __ENV.PROBE_DURATION || '10s',
      preAllocatedVUs: Math.max(10, RATE * 10),
      maxVUs: Math.max(10, RATE * 10),
    },
  },
  thresholds: probeThresholds({
    errorRateMax: Number(__ENV.MAX_ERROR_RATE ?? ERROR_RATE_MAX),
    p99Ms: __ENV.MAX_P99_MS ? Number(__ENV.MAX_P99_MS) : null,
  }),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  requireConfiguration();
  return { prefix: runPrefix() };
}

export function roundTrip(data) {
  me();
  list();
  writeSmall(data);
}
