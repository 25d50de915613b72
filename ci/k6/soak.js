// Soak (short): the load's rate for DURATION (15 minutes by default), held to the objectives; a
// leak or a pool that does not give connections back shows as latency creeping up, then errors.
import { cleanup, seed } from './api.js';
import { RATE, steady } from './mix.js';
import { steadyThresholds, SUMMARY_TREND_STATS } from './slo.js';

export { browse, writeDirect, writeSmall } from './api.js';

export const options = {
  scenarios: steady(RATE, __ENV.DURATION || '15m'),
  thresholds: steadyThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return seed();
}

export function teardown(data) {
  cleanup(data);
}
