// Soak (short): the load's rate for DURATION (15 minutes), held to the objectives; a leak or a pool
// that does not give connections back shows as latency creeping up, then errors.
import { steadyOptions } from './scenarios.js';

export { browse, setup, teardown, writeDirect, writeSmall } from './api.js';

export const options = steadyOptions(__ENV.DURATION || '15m');
