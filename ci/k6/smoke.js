// Smoke: one VU walks every flow once; every check must pass. Run it first against a new target.
import { browse, writeDirect, writeSmall } from './api.js';
import { smokeThresholds, SUMMARY_TREND_STATS } from './slo.js';

export { setup, teardown } from './api.js';

export const options = {
  scenarios: {
    every_flow: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '1m' },
  },
  thresholds: smokeThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function (data) {
  browse(data);
  writeSmall(data);
  writeDirect(data);
}
