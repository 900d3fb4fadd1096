/**
 * Resolved settings as a YAML config in MLPerf Endpoints' shape, built from the option table: what
 * config.yaml in every report holds and `validate` prints. It is a valid `from-config` input that
 * reproduces the run; the API key is written as `${OPENAI_API_KEY}`, never its value.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import { isSyntheticPath } from '../dataset/synthetic-spec.js';
import { OPTION_KEYS, appliesTo, optionSpec, type OptionKey } from './benchmark-options.js';
import type { BenchmarkSettings } from './benchmark-settings.js';

/** What stands in for a secret in a written config: the variable the user sets to reproduce the run. */
export const API_KEY_PLACEHOLDER = '${OPENAI_API_KEY}';

export interface TreeOptions {
  /** Endpoints as shown (URL credentials removed). */
  endpoints: readonly string[];
  /** Resolve dataset paths against this directory (config.yaml may be read from elsewhere). */
  cwd?: string;
}

function setPath(tree: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let at = tree;
  for (const part of parts.slice(0, -1)) {
    if (typeof at[part] !== 'object' || at[part] === null) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]] = value;
}

/**
 * Keys filled in here rather than by the table's `toYaml`. report_dir is left out, so running the
 * file again writes a new report instead of overwriting this one.
 */
const SPECIAL: ReadonlySet<OptionKey> = new Set(['endpoints', 'apiKey', 'name', 'dataset', 'reportDir']);

export function settingsTree(s: BenchmarkSettings, options: TreeOptions): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  // Top-level order as MLPerf Endpoints writes it.
  setPath(tree, 'name', s.name ?? `${s.mode}_benchmark`);
  for (const key of OPTION_KEYS) {
    const spec = optionSpec(key);
    if (spec.yaml === null || SPECIAL.has(key) || !appliesTo(key, s.mode)) continue;
    const raw = s[key];
    if (raw === undefined) continue;
    const value = spec.toYaml === undefined ? raw : (spec.toYaml as (v: unknown) => unknown)(raw);
    if (value === undefined) continue;
    setPath(tree, spec.yaml, Array.isArray(value) ? [...value] : value);
  }
  const cwd = options.cwd ?? process.cwd();
  tree.datasets = s.dataset.map((d) => {
    const entry: Record<string, unknown> = d.name !== undefined ? { name: d.name } : {};
    entry.type = d.type;
    // A synthetic:… dataset is a spec, not a file (dataset/synthetic-spec.ts).
    entry.path = isSyntheticPath(d.path) ? d.path : path.resolve(cwd, d.path);
    if (d.format !== undefined) entry.format = d.format;
    if (d.samples !== undefined) entry.samples = d.samples;
    if (d.parser !== undefined) entry.parser = { ...d.parser };
    return entry;
  });
  setPath(tree, 'endpoint_config.endpoints', [...options.endpoints]);
  if (s.apiKey !== undefined && s.apiKey !== '') setPath(tree, 'endpoint_config.api_key', API_KEY_PLACEHOLDER);
  return order(tree);
}

/** MLPerf Endpoints' key order at the top: name, type, model_params, datasets, settings, endpoint_config, report_dir. */
function order(tree: Record<string, unknown>): Record<string, unknown> {
  const first = ['name', 'type', 'model_params', 'datasets', 'settings', 'endpoint_config', 'report_dir'];
  const out: Record<string, unknown> = {};
  for (const k of first) if (k in tree) out[k] = tree[k];
  for (const [k, v] of Object.entries(tree)) if (!(k in out)) out[k] = v;
  return out;
}

/** The tree as config text with a header saying how to use it. */
export function formatSettingsYaml(tree: Record<string, unknown>, hasApiKey: boolean): string {
  const header = [
    "# llm-loadgen resolved settings, in MLPerf Endpoints' config shape.",
    '# Reproduce this run: llm-loadgen benchmark from-config -c config.yaml',
    ...(hasApiKey ? ['# The API key is not written: set OPENAI_API_KEY before running it.'] : []),
    ...(/: \$\{[A-Z0-9_]+\}/.test(stringify(tree))
      ? ['# Secret header values are written as ${NAME}: set them before running it.']
      : []),
  ];
  return header.join('\n') + '\n' + stringify(tree, { lineWidth: 0 });
}
