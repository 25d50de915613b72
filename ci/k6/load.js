// Load: the expected busy hour, at a steady arrival rate, held to the objectives.
import { cleanup, seed } from './api.js';
import { RATE, steady } from './mix.js';
import { steadyThresholds, SUMMARY_TREND_STATS } from './slo.js';

export { browse, writeDirect, writeSmall } from './api.js';

export const options = {
  scenarios: steady(RATE, __ENV.DURATION || '5m'),
  thresholds: steadyThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return seed();
}

export function teardown(data) {
  cleanup(data);
}
