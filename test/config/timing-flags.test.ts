/** --drain-timeout and --endpoint-down-timeout: defaults, and bad values named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSettings, type BenchmarkSettingsInput } from '../../src/config/benchmark-settings.js';
import { BadInputError } from '../../src/errors.js';
import { drainTimeoutMs } from '../../src/run/shard-split.js';

const base: BenchmarkSettingsInput = {
  mode: 'online',
  endpoints: ['http://127.0.0.1:8000'],
  model: 'm',
  concurrency: 2,
};
const resolve = (extra: Partial<BenchmarkSettingsInput>) => resolveSettings({ ...base, ...extra }, 10);

test('drain default: the larger of 30 s and a tenth of --duration, at most --request-timeout; none for count-bounded runs', () => {
  assert.equal(drainTimeoutMs(resolve({})), 30_000, 'default 30 s run');
  assert.equal(drainTimeoutMs(resolve({ duration: '1h' })), 360_000, 'a tenth of 1 h');
  assert.equal(drainTimeoutMs(resolve({ duration: '3h' })), 600_000, 'capped by the 600 s request timeout');
  assert.equal(drainTimeoutMs(resolve({ duration: '3h', requestTimeout: 0 })), 1_080_000);
  assert.equal(drainTimeoutMs(resolve({ duration: '10s', requestTimeout: '5s' })), 5000);
  assert.equal(drainTimeoutMs(resolve({ duration: '10s', drainTimeout: '250ms' })), 250);
  assert.equal(drainTimeoutMs(resolve({ numSamples: 10 })), Infinity);
});

test('bad timing flags are exit-2 errors naming the flag', () => {
  const cases: [Partial<BenchmarkSettingsInput>, RegExp][] = [
    [{ drainTimeout: 'soon' }, /--drain-timeout: "soon" is not a duration/],
    [{ numSamples: 5, drainTimeout: '1s' }, /--drain-timeout: only with --duration/],
    [{ endpointDownTimeout: '-1' }, /--endpoint-down-timeout: "-1" is not a duration.*or 0 for never/],
  ];
  for (const [extra, message] of cases) {
    assert.throws(
      () => resolve(extra),
      (e: unknown) => e instanceof BadInputError && message.test(e.message),
    );
  }
  assert.throws(
    () => resolveSettings({ ...base, mode: 'offline', concurrency: undefined, drainTimeout: '1s' }, 10),
    /--drain-timeout: only for online mode/,
  );
  assert.equal(resolve({ endpointDownTimeout: 0 }).endpointDownTimeout, 0);
  assert.equal(resolve({}).endpointDownTimeout, 10_000);
});

test('--send-window: ms, 0.5 by default, a negative one an exit-2 error naming the flag', () => {
  assert.equal(resolve({}).sendWindow, 0.5);
  assert.equal(resolve({ sendWindow: 0 }).sendWindow, 0);
  assert.equal(resolve({ sendWindow: 0.25 }).sendWindow, 0.25);
  assert.throws(
    () => resolve({ sendWindow: -1 }),
    (e: unknown) => e instanceof BadInputError && /--send-window/.test(e.message),
  );
});
