// Spike: from the load's rate to ten times that within ten seconds, held for HOLD, then back. The
// same verdict as the stress: no 5xx during the spike, the objectives again once it has passed.
import { cleanup, seed } from './api.js';
import { overloadThenRecovery, RATE } from './mix.js';
import { recoveryThresholds, SUMMARY_TREND_STATS } from './slo.js';

export { browse, writeDirect, writeSmall } from './api.js';

const HOLD = __ENV.HOLD || '30s';

export const options = {
  scenarios: overloadThenRecovery([
    { target: RATE, duration: '30s' },
    { target: RATE * 10, duration: '10s' },
    { target: RATE * 10, duration: HOLD },
    { target: RATE, duration: '10s' },
  ]),
  thresholds: recoveryThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return seed();
}

export function teardown(data) {
  cleanup(data);
}
