// Stress: the arrival rate climbs in steps to eight times the load's, past what the service can
// serve, then falls back to the load's. While overloaded, requests may queue and time out but
// never get a 5xx; once the backlog has drained, the objectives hold again.
import { cleanup, seed } from './api.js';
import { overloadThenRecovery, RATE } from './mix.js';
import { recoveryThresholds, SUMMARY_TREND_STATS } from './slo.js';

export { browse, writeDirect, writeSmall } from './api.js';

const STEP = __ENV.STEP || '1m';

export const options = {
  scenarios: overloadThenRecovery([1, 2, 4, 8].flatMap((factor) => [
    { target: RATE * factor, duration: '10s' },
    { target: RATE * factor, duration: STEP },
  ])),
  thresholds: recoveryThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return seed();
}

export function teardown(data) {
  cleanup(data);
}
