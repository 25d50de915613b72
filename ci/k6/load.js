// Load: the expected busy hour, at a steady arrival rate (RATE), for DURATION (5 minutes), held to
// the objectives.
import { steadyOptions } from './scenarios.js';

export { browse, setup, teardown, writeDirect, writeSmall } from './api.js';

export const options = steadyOptions(__ENV.DURATION || '5m');
