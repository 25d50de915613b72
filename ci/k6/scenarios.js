// The options of the scenarios that offer load (all but the smoke and the probe), and how that load
// is split. RATE is readers' iterations a second (4 requests each); writers through the API come at
// a fifth of that (4 requests each); direct uploads stay at DIRECT_RATE a second (4 requests each,
// one of them to storage), because nginx allows one client 120 upload starts a minute (burst 20) and
// the test measures the app, not the edge's limit. No scenario holds more than MAX_WRITERS files at
// once, far below the per-user quota (FILES_QUOTA_COUNT=1000, 1 GiB): each writer deletes what it
// uploaded.
import { recoveryThresholds, steadyThresholds, SUMMARY_TREND_STATS } from './slo.js';

export const RATE = Number(__ENV.RATE || 10);
const DIRECT_RATE = Number(__ENV.DIRECT_RATE || 1);
const WRITE_PERIOD = '5s';
const MAX_READERS = 300;
const MAX_WRITERS = 200;

// Every VU is made before the start: a VU made mid-run drops iterations while it starts, and a
// dropped iteration must mean that the app answered too slowly.
function vus(ratePerSecond, cap) {
  const count = Math.min(cap, Math.max(10, Math.ceil(ratePerSecond * 10)));
  return { preAllocatedVUs: count, maxVUs: count };
}

function named(scenarios, phase) {
  if (!phase) return scenarios;
  return Object.fromEntries(
    Object.entries(scenarios).map(([name, scenario]) => [`${name}_${phase}`, { ...scenario, tags: { phase } }]),
  );
}

function direct(duration, startTime) {
  return {
    executor: 'constant-arrival-rate',
    exec: 'writeDirect',
    rate: DIRECT_RATE,
    timeUnit: '1s',
    duration,
    startTime,
    ...vus(DIRECT_RATE, MAX_WRITERS),
  };
}

function seconds(duration) {
  const match = /^(\d+)(s|m|h)$/.exec(duration);
  if (match === null) throw new Error(`a duration like 30s, 5m or 1h, not ${duration}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2]];
}

// The three kinds of client at a steady rate; with a phase, tagged and named for it.
function steady(rate, duration, { phase = '', startTime = '0s' } = {}) {
  const common = { executor: 'constant-arrival-rate', rate, duration, startTime };
  return named({
    browse: { ...common, exec: 'browse', timeUnit: '1s', ...vus(rate, MAX_READERS) },
    write_small: { ...common, exec: 'writeSmall', timeUnit: WRITE_PERIOD, ...vus(rate / 5, MAX_WRITERS) },
    write_direct: direct(duration, startTime),
  }, phase);
}

// Readers and API writers follow `stages` (targets in readers' iterations a second).
function ramping(startRate, stages, { phase = '' } = {}) {
  const peak = Math.max(startRate, ...stages.map((stage) => stage.target));
  const total = stages.reduce((sum, stage) => sum + seconds(stage.duration), 0);
  const common = { executor: 'ramping-arrival-rate', startRate, stages };
  return named({
    browse: { ...common, exec: 'browse', timeUnit: '1s', ...vus(peak, MAX_READERS) },
    write_small: { ...common, exec: 'writeSmall', timeUnit: WRITE_PERIOD, ...vus(peak / 5, MAX_WRITERS) },
    write_direct: direct(`${total}s`, '0s'),
  }, phase);
}

// An overload (ramping stages), a pause for the backlog to drain, then the load's rate again,
// measured on its own as the `recovery` phase.
function overloadThenRecovery(stages, { drain = '30s', recovery = __ENV.RECOVERY || '1m' } = {}) {
  const overload = stages.reduce((sum, stage) => sum + seconds(stage.duration), 0);
  return {
    ...ramping(RATE, stages, { phase: 'overload' }),
    ...steady(RATE, recovery, { phase: 'recovery', startTime: `${overload + seconds(drain)}s` }),
  };
}

// Load and soak: the three kinds of client at RATE for `duration`, held to the objectives.
export function steadyOptions(duration) {
  return {
    scenarios: steady(RATE, duration),
    thresholds: steadyThresholds(),
    summaryTrendStats: SUMMARY_TREND_STATS,
  };
}

// Stress and spike: an overload along `stages`, then the recovery, held to no 5xx and the objectives.
export function overloadOptions(stages) {
  return {
    scenarios: overloadThenRecovery(stages),
    thresholds: recoveryThresholds(),
    summaryTrendStats: SUMMARY_TREND_STATS,
  };
}
