/**
 * YAML configs in MLPerf Endpoints' shape: keys checked against the option table, errors with
 * file:line and key path, ${VAR} interpolation, MLPerf keys we accept without using listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/config-file.js';
import {
  FLAG_SOURCES,
  resolveSettings,
  samplingParams,
  type BenchmarkSettingsInput,
} from '../../src/config/benchmark-settings.js';
import { BadInputError } from '../../src/errors.js';

const ONLINE = `name: t
type: online
model_params:
  name: m
settings:
  runtime:
    min_duration_ms: 1500
  load_pattern:
    type: poisson
    target_qps: 10.0
endpoint_config:
  endpoints:
  - http://127.0.0.1:8000
`;

function bad(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BadInputError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, pattern);
    return true;
  });
}

/** Parse, then validate as from-config does (file positions in errors). */
function resolve(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = parseConfigText(text, 'run.yaml', env);
  const sources = { where: (k: Parameters<typeof file.where>[0], p: readonly PropertyKey[]) => file.where(k, p) };
  return { file, settings: resolveSettings(file.input as BenchmarkSettingsInput, 100, sources) };
}

test('an online config resolves: a bare min_duration_ms is milliseconds', () => {
  const { settings, file } = resolve(ONLINE);
  assert.equal(settings.mode, 'online');
  assert.equal(settings.loadPattern, 'poisson');
  assert.equal(settings.targetQps, 10);
  assert.equal(settings.duration, 1500);
  assert.deepEqual(settings.endpoints, ['http://127.0.0.1:8000']);
  assert.deepEqual(file.unused, []);
});

test('unknown key: exit 2 with file:line, key path and a did-you-mean', () => {
  bad(
    () => resolve(ONLINE.replace('target_qps', 'target_qsp')),
    'config_unknown_key',
    /^run\.yaml:10: settings\.load_pattern\.target_qsp: unknown key\. Did you mean target_qps\?/,
  );
  bad(
    () => resolve(ONLINE.replace('model_params', 'model_param')),
    'config_unknown_key',
    /run\.yaml:3: model_param: .*model_params/,
  );
});

test('wrong type: exit 2 with file:line, key path, what was expected and what was given', () => {
  bad(
    () => resolve(ONLINE.replace('target_qps: 10.0', 'target_qps: fast')),
    'invalid_config',
    /^run\.yaml:10: settings\.load_pattern\.target_qps: .*expected number.*\(got "fast"\)/,
  );
  bad(
    () => resolve(ONLINE.replace('type: poisson', 'type: poison')),
    'invalid_config',
    /^run\.yaml:9: settings\.load_pattern\.type: .*"poisson".*\(got "poison"\)/,
  );
  bad(
    () => resolve(ONLINE.replace('  - http://127.0.0.1:8000', '  - 8000: x')),
    'invalid_config',
    /^run\.yaml:13: endpoint_config\.endpoints\[0\]: /,
  );
  bad(
    () => resolve(ONLINE.replace('  runtime:', '  runtime: 5\n  x:')),
    'config_invalid',
    /run\.yaml:6: settings\.runtime: expected a mapping/,
  );
});

test('a required key missing names where it goes in the file and the flag', () => {
  bad(
    () => resolve(ONLINE.replace('    target_qps: 10.0\n', '')),
    'invalid_config',
    // No line of its own: the line of the nearest key above it.
    /^run\.yaml:8: settings\.load_pattern\.target_qps: required for load pattern poisson/,
  );
});

test('YAML syntax error: exit 2 with file:line', () => {
  bad(
    () => resolve(ONLINE.replace('  load_pattern:', '  load_pattern: [')),
    'config_yaml_syntax',
    /^run\.yaml:(8|9): YAML syntax error/,
  );
  bad(() => resolve(ONLINE + 'name: again\n'), 'config_yaml_syntax', /^run\.yaml:14: YAML syntax error: .*unique/i);
});

test('${VAR} and ${VAR:-default} are interpolated; a missing one is exit 2 with path and line', () => {
  const text = ONLINE.replace('name: m', 'name: ${MODEL}')
    .replace('target_qps: 10.0', 'target_qps: ${QPS:-2.5}')
    .replace('http://127.0.0.1:8000', () => 'http://${HOST}:8000/$${literal}');
  const { settings } = resolve(text, { MODEL: 'llama', HOST: '10.0.0.1' });
  assert.equal(settings.model, 'llama');
  assert.equal(settings.targetQps, 2.5); // a number once interpolated, as pydantic coerces it
  assert.deepEqual(settings.endpoints, ['http://10.0.0.1:8000/${literal}']);
  bad(
    () => resolve(text, { MODEL: 'llama' }),
    'config_env_missing',
    /^run\.yaml:13: endpoint_config\.endpoints\[0\]: environment variable HOST is not set and has no default/,
  );
});

test("MLPerf Endpoints' keys we do not act on are accepted and listed with their lines, never silently", () => {
  const text = ONLINE.replace(
    '    min_duration_ms: 1500\n',
    '    min_duration_ms: 1500\n    max_duration_ms: 4000\n',
  ).concat('timeout: 30\n');
  const { file, settings } = resolve(text.replace('  load_pattern:', '  warmup:\n    drain: true\n  load_pattern:'));
  // max_duration_ms is used now (--max-duration), so it is not listed.
  assert.equal(settings.maxDuration, 4000);
  assert.deepEqual(file.unused, ['settings.warmup.drain (line 10)', 'timeout (line 17)']);
});

test('offline: online-only keys in the file are listed as not used in offline runs (MLPerf templates set them)', () => {
  const text = ONLINE.replace('type: online', 'type: offline').replace(/ {2}load_pattern:\n.*\n.*\n/, '');
  const { settings, file } = resolve(text);
  assert.equal(settings.loadPattern, 'offline');
  assert.equal(settings.numSamples, 100);
  assert.deepEqual(file.unused, ['settings.runtime.min_duration_ms (line 7; not used in offline runs)']);
});

test('type eval is an accuracy-only offline run; type submission is exit 2', () => {
  bad(
    () => resolve(ONLINE.replace('type: online', 'type: submission')),
    'config_type_unsupported',
    /run\.yaml:2: type: submission runs .*not supported/,
  );
  bad(() => resolve(ONLINE.replace('type: online', 'type: eval')), 'invalid_config', /needs an accuracy dataset/);
});

test('datasets[]: path, samples, parser, format and accuracy_config are read; a second perf dataset is exit 2', () => {
  const withDatasets = (entries: string) => ONLINE.replace('settings:', `datasets:\n${entries}settings:`);
  const { settings } = resolve(
    withDatasets(
      '- name: perf\n  type: performance\n  path: d.jsonl\n  samples: 5\n  format: jsonl\n  parser:\n    prompt: text_input\n    system: sys\n',
    ),
  );
  assert.deepEqual(settings.dataset, [
    {
      name: 'perf',
      type: 'performance',
      path: 'd.jsonl',
      samples: 5,
      format: 'jsonl',
      parser: { prompt: 'text_input', system: 'sys' },
    },
  ]);
  bad(
    () => resolve(withDatasets('- path: a.jsonl\n- path: b.jsonl\n')),
    'invalid_config',
    /run\.yaml:7: datasets\[1\]: 2 performance datasets given/,
  );
  bad(
    () => resolve(withDatasets('- path: a.jsonl\n  parser:\n    promt: x\n')),
    'config_unknown_key',
    /run\.yaml:8: datasets\[0\]\.parser\.promt: unknown key\. Did you mean prompt\?/,
  );
  const { file } = resolve(withDatasets('- path: a.jsonl\n  generate_params: {x: 1}\n'));
  assert.deepEqual(file.unused, ['datasets[0].generate_params (line 7)']);
  const acc = resolve(
    withDatasets(
      '- path: a.jsonl\n- name: g\n  type: accuracy\n  path: e.jsonl\n  accuracy_config: {eval_method: pass_at_1, ground_truth: answer, num_repeats: 2}\n',
    ),
  );
  assert.equal(acc.settings.testMode, 'both');
  assert.deepEqual(acc.settings.dataset[1].accuracy_config, {
    eval_method: 'pass_at_1',
    ground_truth: 'answer',
    num_repeats: 2,
  });
});

test('flag errors still name the flag', () => {
  assert.throws(
    () => resolveSettings({ mode: 'online', endpoints: ['x'], model: 'm', targetQps: -1 }, 1, FLAG_SOURCES),
    /^BadInputError: --target-qps: /,
  );
});

test("model_params sampling keys are read and sent as MLPerf Endpoints' adapter sends them", () => {
  const text = ONLINE.replace(
    '  name: m\n',
    '  name: m\n  temperature: 0.0\n  presence_penalty: 0.5\n  repetition_penalty: 1.1\n  chat_template_kwargs:\n    enable_thinking: false\n',
  );
  const { settings, file } = resolve(text);
  assert.deepEqual(file.unused, []);
  assert.deepEqual(samplingParams(settings), {
    temperature: 0,
    presence_penalty: 0.5,
    repetition_penalty: 1.1,
    chat_template_kwargs: { enable_thinking: false },
  });
});

test('offline: load_pattern max_throughput is what offline does (no notice); another pattern is exit 2', () => {
  const offline = ONLINE.replace('type: online', 'type: offline').replace('    min_duration_ms: 1500\n', '');
  const { file } = resolve(offline.replace('type: poisson\n    target_qps: 10.0', 'type: max_throughput'));
  assert.deepEqual(file.unused, []);
  bad(
    () => resolve(offline.replace('    target_qps: 10.0\n', '')),
    'invalid_config',
    /^run\.yaml:8: settings\.load_pattern\.type: only for online mode/,
  );
});

test('unused keys set to null (not set, as MLPerf full templates write them) are not listed', () => {
  const { file } = resolve(ONLINE.concat('submission_ref: null\ntimeout: 5\n'));
  assert.deepEqual(file.unused, ['timeout (line 15)']);
});
