// Spike: from the load's rate to ten times that within ten seconds, held for HOLD (30 s), then back.
// The same verdict as the stress: no 5xx during the spike, the objectives again once it has passed.
import { overloadOptions, RATE } from './scenarios.js';

export { browse, setup, teardown, writeDirect, writeSmall } from './api.js';

const HOLD = __ENV.HOLD || '30s';

export const options = overloadOptions([
  { target: RATE, duration: '30s' },
  { target: RATE * 10, duration: '10s' },
  { target: RATE * 10, duration: HOLD },
  { target: RATE, duration: '10s' },
]);
