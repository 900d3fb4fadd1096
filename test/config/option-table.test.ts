/**
 * The option table and what is derived from it: the README's flag table, commander's flags and
 * aliases, `init` templates, config.yaml (a valid from-config input that resolves to the same
 * settings), `--dataset` strings, durations in MLPerf Endpoints' units.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { addBenchmarkFlags, readBenchmarkFlags } from '../../src/cli/benchmark-flags.js';
import { BENCHMARK_OPTIONS, OPTION_KEYS, flagName, optionSpec } from '../../src/config/benchmark-options.js';
import { resolveSettings, samplingParams, type BenchmarkSettingsInput } from '../../src/config/benchmark-settings.js';
import { parseConfigText } from '../../src/config/config-file.js';
import { TEMPLATE_KINDS, configTemplate } from '../../src/config/config-template.js';
import { parseDatasetString } from '../../src/config/dataset-spec.js';
import { FLAG_TABLE_END, FLAG_TABLE_START, flagTableMarkdown } from '../../src/config/option-docs.js';
import { formatSettingsYaml, settingsTree } from '../../src/config/settings-yaml.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

test("the README's Benchmark flags table is the one generated from the option table", async () => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(FLAG_TABLE_START);
  const end = readme.indexOf(FLAG_TABLE_END);
  assert.ok(start >= 0 && end > start, 'README has the flag-table markers');
  const inReadme = readme.slice(start + FLAG_TABLE_START.length, end).trim();
  assert.equal(inReadme, flagTableMarkdown(), 'regenerate it: node --import tsx src/config/option-docs.ts README.md');
});

test('every flag name and alias, and every YAML key, belongs to one option', () => {
  const flags = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const key of OPTION_KEYS) {
    const spec = optionSpec(key);
    for (const name of spec.flag === null ? [] : [flagName(spec.flag), ...(spec.aliases ?? [])]) {
      assert.ok(!flags.has(name), `${name}: ${flags.get(name)} and ${key}`);
      flags.set(name, key);
    }
    if (spec.yaml !== null) {
      assert.ok(!keys.has(spec.yaml), `${spec.yaml}: ${keys.get(spec.yaml)} and ${key}`);
      keys.set(spec.yaml, key);
    }
  }
});

function parseFlags(argv: string[], mode: 'offline' | 'online' | 'any' = 'online') {
  const cmd = addBenchmarkFlags(new Command('x').exitOverride(), mode);
  cmd.parse(argv, { from: 'user' });
  return readBenchmarkFlags(cmd);
}

test("MLPerf Endpoints' aliases and dotted forms set the same option; no defaults come from commander", () => {
  const { input, keys } = parseFlags([
    '--target-concurrency',
    '3',
    '--num-workers',
    '2',
    '--client.max-connections',
    '8',
    '--model-params.name',
    'm',
    '--endpoint-config.endpoints',
    'http://a,http://b',
  ]);
  assert.deepEqual(input, {
    concurrency: 3,
    workers: 2,
    maxConnections: 8,
    model: 'm',
    endpoints: ['http://a', 'http://b'],
  });
  assert.deepEqual([...keys].sort(), ['concurrency', 'endpoints', 'maxConnections', 'model', 'workers']);
  assert.deepEqual(parseFlags([]).input, {}, 'an absent flag must not override a config file');
  assert.throws(() => parseFlags(['--concurrency', '3', '--target-concurrency', '4']), /the same option/);
});

test('--dataset is repeatable; online-only flags are not on the offline command', () => {
  assert.deepEqual(parseFlags(['--dataset', 'a.jsonl', '--dataset', 'acc:b.jsonl']).input.dataset, [
    'a.jsonl',
    'acc:b.jsonl',
  ]);
  assert.throws(() => parseFlags(['--target-qps', '3'], 'offline'), /unknown option '--target-qps'/);
});

const base = { endpoints: ['http://127.0.0.1:1'], model: 'm' };

test('--duration: a bare number is milliseconds (as MLPerf Endpoints); units still work; 0 = one pass', () => {
  const online = (duration: string | number) =>
    resolveSettings({ ...base, mode: 'online', targetQps: 1, duration }, 50);
  assert.equal(online('1000').duration, 1000);
  assert.equal(online(1000).duration, 1000);
  assert.equal(online('2s').duration, 2000);
  assert.equal(online('1m').duration, 60_000);
  assert.equal(online('0').duration, Infinity);
  assert.equal(online('0').numSamples, 50);
  // The client timeouts keep seconds for a bare number (MLPerf's max_idle_time is seconds too).
  const s = resolveSettings({ ...base, mode: 'offline', maxIdleTime: '3', requestTimeout: '0' }, 1);
  assert.equal(s.maxIdleTime, 3000);
  assert.equal(s.requestTimeout, 0);
});

test('defaults follow MLPerf Endpoints: 1024 output tokens, seeds 42, api type openai, --seed not sent', () => {
  const s = resolveSettings({ ...base, mode: 'offline' }, 10);
  assert.equal(s.maxOutputTokens, 1024);
  assert.equal(s.schedulerRandomSeed, 42);
  assert.equal(s.dataloaderRandomSeed, 42);
  assert.equal(s.apiType, 'chat');
  assert.equal(samplingParams(s), undefined);
  const t = resolveSettings(
    { ...base, mode: 'offline', seed: 7, temperature: 0, topP: 0.9, topK: 5, frequencyPenalty: 0.5 },
    10,
  );
  assert.deepEqual(samplingParams(t), { seed: 7, temperature: 0, top_p: 0.9, top_k: 5, frequency_penalty: 0.5 });
  assert.equal(resolveSettings({ ...base, mode: 'offline', apiType: 'openai_completions' }, 1).apiType, 'completions');
  assert.equal(resolveSettings({ ...base, mode: 'offline', apiType: 'completions' }, 1).apiType, 'completions');
});

test('--dataset strings: prefixes and key=value suffixes, as MLPerf Endpoints parses them', () => {
  assert.deepEqual(parseDatasetString('d.jsonl'), { type: 'performance', path: 'd.jsonl' });
  assert.deepEqual(
    parseDatasetString('perf:d.jsonl,samples=500,parser.prompt=article,parser.system=inst,format=jsonl'),
    {
      type: 'performance',
      path: 'd.jsonl',
      samples: 500,
      parser: { prompt: 'article', system: 'inst' },
      format: 'jsonl',
    },
  );
  assert.equal(parseDatasetString('acc:e.jsonl').type, 'accuracy');
  assert.throws(
    () => parseDatasetString('d.jsonl,samples:5'),
    /expected key=value \(did you mean '=' instead of ':'\?\)/,
  );
  assert.throws(() => parseDatasetString('d.jsonl,sample=5'), /unknown dataset option \(did you mean samples\?\)/);
  assert.throws(() => parseDatasetString('d.jsonl,samples=0'), /positive integer/);
  assert.equal(resolveSettings({ ...base, mode: 'offline', dataset: ['acc:e.jsonl'] }, 1).testMode, 'both');
  assert.throws(
    () => resolveSettings({ ...base, mode: 'offline', testMode: 'acc' }, 1),
    /--mode: needs an accuracy dataset/,
  );
  assert.deepEqual(
    parseDatasetString('acc:e.jsonl,eval_method=rouge,ground_truth=summary,num_repeats=3').accuracy_config,
    {
      eval_method: 'rouge',
      ground_truth: 'summary',
      num_repeats: 3,
    },
  );
  assert.throws(
    () => resolveSettings({ ...base, mode: 'offline', dataset: ['a.jsonl', 'b.jsonl'] }, 1),
    /--dataset \(#2\): 2 performance datasets given; one run uses one/,
  );
});

test('init templates are generated from the table, comment every key and resolve with no unused keys', () => {
  for (const kind of TEMPLATE_KINDS) {
    const text = configTemplate(kind);
    for (const key of OPTION_KEYS) {
      const spec = optionSpec(key);
      if (
        spec.yaml === null ||
        key === 'name' ||
        (spec.modes !== undefined && !spec.modes.includes(kind === 'offline' ? 'offline' : 'online'))
      )
        continue;
      const leaf = spec.yaml.split('.').at(-1)!;
      assert.match(
        text,
        new RegExp(
          `${leaf}:.*# ${escape(spec.help.slice(0, 20))}|# ${escape(spec.help.slice(0, 20))}[^\\n]*\\n\\s*${leaf}:|${leaf}:\\s*\\n\\s*# ${escape(spec.help.slice(0, 20))}`,
        ),
        `${kind}: ${spec.yaml}`,
      );
    }
    const file = parseConfigText(text, `${kind}.yaml`, { MODEL_NAME: 'm' });
    assert.deepEqual(file.unused, [], kind);
    const s = resolveSettings(file.input as BenchmarkSettingsInput, 10);
    assert.equal(s.loadPattern, { offline: 'offline', online: 'poisson', concurrency: 'concurrency' }[kind]);
    assert.deepEqual(s.endpoints, ['http://127.0.0.1:8000']);
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&');
}

test('config.yaml round trip: the written tree reads back to the same settings; the API key is not in it', () => {
  const inputs: BenchmarkSettingsInput[] = [
    {
      ...base,
      mode: 'online',
      concurrency: 7,
      numSamples: 90,
      seed: 3,
      temperature: 0.2,
      dataset: ['perf:/data/d.jsonl,samples=5,parser.prompt=q'],
      apiKey: 'sk-secret-value',
      apiType: 'openai_completions',
      maxIdleTime: '2500ms',
      requestTimeout: '0',
      sourceIps: ['127.0.0.2'],
      workers: 3,
      schedulerRandomSeed: 9,
      headers: ['X-Route: blue', 'X-Api-Key: hdr-secret-value'],
    },
    { ...base, mode: 'online', targetQps: 2.5, duration: '90s', streaming: 'off' },
    { ...base, mode: 'offline', numSamples: 12, insecure: true, maxConnections: 40 },
  ];
  for (const input of inputs) {
    const settings = resolveSettings(input, 100);
    const text = formatSettingsYaml(
      settingsTree(settings, { endpoints: settings.endpoints }),
      settings.apiKey !== undefined,
    );
    assert.ok(!text.includes('sk-secret-value') && !text.includes('hdr-secret-value'), text);
    const file = parseConfigText(text, 'config.yaml', {
      OPENAI_API_KEY: 'sk-secret-value',
      X_API_KEY: 'hdr-secret-value',
    });
    assert.deepEqual(file.unused, []);
    const again = resolveSettings(file.input as BenchmarkSettingsInput, 100);
    assert.deepEqual({ ...again, name: undefined }, { ...settings, name: undefined }, text);
  }
});

test('the table has the options the issue names, with MLPerf Endpoints’ keys', () => {
  assert.equal(BENCHMARK_OPTIONS.maxConcurrentConnects.yaml, 'settings.client.max_concurrent_warmup_connects');
  assert.equal(BENCHMARK_OPTIONS.concurrency.yaml, 'settings.load_pattern.target_concurrency');
  assert.equal(BENCHMARK_OPTIONS.duration.yaml, 'settings.runtime.min_duration_ms');
  assert.equal(BENCHMARK_OPTIONS.seed.yaml, 'model_params.seed');
});
