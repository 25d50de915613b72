// Smoke: one VU walks every flow once; every check must pass. Run it first against a new target.
import { browse, cleanup, seed, writeDirect, writeSmall } from './api.js';
import { smokeThresholds, SUMMARY_TREND_STATS } from './slo.js';

export const options = {
  scenarios: {
    every_flow: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '1m' },
  },
  thresholds: smokeThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return seed({ files: 1 });
}

export default function (data) {
  browse(data);
  writeSmall(data);
  writeDirect(data);
}

export function teardown(data) {
  cleanup(data);
}
