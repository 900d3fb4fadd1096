/**
 * `llm-loadgen init` templates, generated from the option table: every option that applies to the
 * mode at its default (null = not set), each with its help as a comment. Never hand-maintained.
 */
import { Document, isCollection, isScalar, type Node } from 'yaml';
import {
  OPTION_KEYS,
  appliesTo,
  optionDefault,
  optionSpec,
  type BenchmarkMode,
  type OptionKey,
} from './benchmark-options.js';

export const TEMPLATE_KINDS = ['offline', 'online', 'concurrency'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/** Values a template sets beyond the defaults, per kind (MLPerf Endpoints' templates set the same). */
const TEMPLATE_VALUES: Record<TemplateKind, Partial<Record<OptionKey, unknown>>> = {
  offline: { mode: 'offline' },
  online: { mode: 'online', loadPattern: 'poisson', targetQps: 10 },
  concurrency: { mode: 'online', loadPattern: 'concurrency', concurrency: 32 },
};

/** Shown in a key's comment instead of the value it has in the template. */
function comment(key: OptionKey): string {
  const spec = optionSpec(key);
  const unit = spec.unit !== undefined ? ` [${spec.unit}]` : '';
  const choices = spec.choices !== undefined && key !== 'mode' ? ` (${spec.choices.join(' | ')})` : '';
  const flag = spec.flag !== null ? `; flag ${spec.flag.split(' ')[0]}` : '';
  const fallback = spec.defaultText !== undefined ? `; default: ${spec.defaultText}` : '';
  return ` ${spec.help}${unit}${choices}${flag}${fallback}`;
}

function templateValue(key: OptionKey, kind: TemplateKind): unknown {
  const set = TEMPLATE_VALUES[kind];
  if (key in set) return set[key];
  const spec = optionSpec(key);
  if (spec.example !== undefined) return spec.example;
  const value = optionDefault(key);
  if (value === undefined) return null;
  return spec.toYaml === undefined ? value : (spec.toYaml as (v: unknown) => unknown)(value);
}

export function configTemplate(kind: TemplateKind): string {
  const mode: BenchmarkMode = TEMPLATE_VALUES[kind].mode as BenchmarkMode;
  const doc = new Document({ name: `${kind}_benchmark` });
  const keys = OPTION_KEYS.filter((k) => optionSpec(k).yaml !== null && appliesTo(k, mode) && k !== 'name');
  for (const key of keys) doc.setIn(optionSpec(key).yaml!.split('.'), doc.createNode(templateValue(key, kind)));
  for (const key of keys) {
    const node = doc.getIn(optionSpec(key).yaml!.split('.'), true) as Node | undefined;
    if (node === undefined) continue;
    if (isScalar(node)) node.comment = comment(key);
    else if (isCollection(node)) node.commentBefore = comment(key);
  }
  const head = [
    ` llm-loadgen ${kind} benchmark, in MLPerf Endpoints' config shape (written by \`llm-loadgen init ${kind}\`).`,
    ' Run it: llm-loadgen benchmark from-config -c FILE   (flags given beside -c override the file)',
    ' Check it: llm-loadgen validate -c FILE.  ${VAR} and ${VAR:-default} are read from the environment.',
    ' null = not set. A dataset entry: - {name: perf, type: performance, path: data.jsonl, parser: {prompt: text_input}}',
  ];
  doc.commentBefore = head.join('\n');
  return doc.toString({ lineWidth: 0 });
}
