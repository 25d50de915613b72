// Stress: the arrival rate climbs in steps to eight times the load's (each held for STEP, 1 minute),
// past what the service can serve, then falls back to the load's. While overloaded, requests may
// queue and time out but never get a 5xx; once the backlog has drained, the objectives hold again.
import { overloadOptions, RATE } from './scenarios.js';

export { browse, setup, teardown, writeDirect, writeSmall } from './api.js';

const STEP = __ENV.STEP || '1m';

export const options = overloadOptions([1, 2, 4, 8].flatMap((factor) => [
  { target: RATE * factor, duration: '10s' },
  { target: RATE * factor, duration: STEP },
]));
