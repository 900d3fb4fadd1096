/**
 * A YAML config in MLPerf Endpoints' shape (`name`, `type`, `model_params`, `datasets[]`,
 * `settings{runtime, load_pattern, client, warmup}`, `endpoint_config`, `report_dir`) read into
 * settings input. Every key is checked against the option table and the list of MLPerf keys
 * llm-loadgen accepts without acting on them: an unknown key is an error with a did-you-mean, a
 * known but unused one goes into a notice, never silently. `${VAR}` and `${VAR:-default}` are
 * interpolated (`$$` is a literal `$`), as in MLPerf Endpoints' config/utils.py. Errors carry the
 * file, the line and the key path.
 */
import { readFile } from 'node:fs/promises';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Scalar,
} from 'yaml';
import { BadInputError, ErrorCode, type BadInputCode } from '../errors.js';
import { BENCHMARK_OPTIONS, OPTION_KEYS, appliesTo, optionSpec, type OptionKey } from './benchmark-options.js';
import type { BenchmarkSettingsInput, SettingSources } from './benchmark-settings.js';
import { didYouMean } from './did-you-mean.js';

/** MLPerf Endpoints' keys that llm-loadgen accepts but does not act on (whole subtrees). */
export const MLPERF_KEYS_NOT_USED: readonly string[] = [
  'version',
  'submission_ref',
  'benchmark_mode',
  'timeout',
  'verbose',
  'enable_cpu_affinity',
  'audit',
  'model_params.min_new_tokens',
  'model_params.skip_special_tokens',
  'model_params.osl_distribution',
  'model_params.tokenizer_name',
  'datasets[].generate_params',
  'datasets[].accuracy_config.extras',
  'datasets[].agentic_inference',
  'datasets[].generation_config_override',
  'settings.load_pattern.use_legacy_loadgen_qps_metrics',
  'settings.client.log_level',
  'settings.client.auto_warmup_budget_fraction',
  'settings.client.transport',
  'settings.client.stream_all_chunks',
  'settings.client.worker_initialization_timeout',
  'settings.client.worker_graceful_shutdown_wait',
  'settings.client.worker_force_kill_timeout',
  'settings.client.min_required_connections',
  'settings.client.worker_gc_mode',
  'settings.drain',
  'settings.warmup.drain',
  'settings.warmup.warmup_random_seed',
  'settings.profiling',
  'settings.early_stopping',
  'settings.service_ready_timeout_s',
];

/** The keys of one datasets[] entry that llm-loadgen uses. */
const DATASET_ENTRY_KEYS = [
  'name',
  'type',
  'path',
  'format',
  'samples',
  'parser.prompt',
  'parser.system',
  'prompt_template',
  'eval_method',
  'accuracy_config.eval_method',
  'accuracy_config.ground_truth',
  'accuracy_config.extractor',
  'accuracy_config.num_repeats',
];

type KeyNode =
  | { kind: 'option'; key: OptionKey }
  | { kind: 'leaf' }
  | { kind: 'unused' }
  | { kind: 'datasets'; item: KeyNode }
  | { kind: 'branch'; children: Map<string, KeyNode> };

function insert(root: KeyNode & { kind: 'branch' }, path: string, node: KeyNode): void {
  const parts = path.split('.');
  let at = root;
  for (const part of parts.slice(0, -1)) {
    let next = at.children.get(part);
    if (next === undefined) {
      next = { kind: 'branch', children: new Map() };
      at.children.set(part, next);
    }
    if (next.kind === 'datasets') next = next.item;
    if (next.kind !== 'branch') throw new Error(`option table: ${path} is inside a leaf`);
    at = next;
  }
  at.children.set(parts[parts.length - 1], node);
}

/** The tree of every key a config may hold: the option table's, and MLPerf's unused ones. */
function keyTree(): KeyNode & { kind: 'branch' } {
  const root: KeyNode & { kind: 'branch' } = { kind: 'branch', children: new Map() };
  const item: KeyNode & { kind: 'branch' } = { kind: 'branch', children: new Map() };
  for (const key of DATASET_ENTRY_KEYS) insert(item, key, { kind: 'leaf' });
  for (const key of OPTION_KEYS) {
    const yaml = optionSpec(key).yaml;
    if (yaml === null) continue;
    insert(root, yaml, key === 'dataset' ? { kind: 'datasets', item } : { kind: 'option', key });
  }
  for (const path of MLPERF_KEYS_NOT_USED) {
    if (path.startsWith('datasets[].')) insert(item, path.slice('datasets[].'.length), { kind: 'unused' });
    else insert(root, path, { kind: 'unused' });
  }
  return root;
}

export interface ConfigFile {
  /** Settings input from the file (keys absent when the file does not set them). */
  input: Partial<BenchmarkSettingsInput>;
  /** Which options the file set (for merging with flags). */
  keys: Set<OptionKey>;
  /** Keys present that llm-loadgen does not act on, with their lines. */
  unused: string[];
  /** file:line and key path of each value, for error messages. */
  where(key: OptionKey, subPath: readonly PropertyKey[]): string;
}

interface Position {
  line: number;
  col: number;
}

class ConfigReader {
  readonly input: Record<string, unknown> = {};
  readonly keys = new Set<OptionKey>();
  readonly unused: string[] = [];
  /** Key path → position, e.g. `datasets[0].parser.prompt`. */
  readonly positions = new Map<string, Position>();

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  position(node: Node | null | undefined): Position {
    const offset = node?.range?.[0] ?? 0;
    return this.lines.linePos(offset);
  }

  fail(code: BadInputCode, path: string, node: Node | null | undefined, message: string): never {
    const { line } = this.position(node);
    throw new BadInputError(code, `${this.file}:${line}: ${path === '' ? '' : `${path}: `}${message}`);
  }

  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null) ?? null;
  }

  /** A node as a plain value, with `${VAR}` interpolated in every string. */
  value(node: unknown, path: string): unknown {
    const n = this.resolve(node);
    if (n === null) return null;
    this.positions.set(path, this.position(n));
    if (isScalar(n)) return typeof n.value === 'string' ? this.interpolate(n.value, path, n) : n.value;
    if (isSeq(n)) return n.items.map((item, i) => this.value(item, `${path}[${i}]`));
    if (isMap(n)) {
      const out: Record<string, unknown> = {};
      for (const pair of n.items) {
        const key = this.keyOf(pair.key, path);
        out[key] = this.value(pair.value, join(path, key));
      }
      return out;
    }
    return n.toJSON();
  }

  keyOf(keyNode: unknown, parent: string): string {
    const k = this.resolve(keyNode);
    if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) {
      this.fail(ErrorCode.configInvalid, parent, k, 'keys must be plain names');
    }
    return String(k.value);
  }

  interpolate(text: string, path: string, node: Node): string {
    if (!text.includes('$')) return text;
    return text.replace(
      /\$\$|\$\{([A-Za-z_]\w*)(?::-(.*?))?\}|\$([A-Za-z_]\w*)/g,
      (whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
        if (whole === '$$') return '$';
        const name = braced ?? bare!;
        const value = this.env[name];
        if (value !== undefined) return value;
        if (fallback !== undefined) return fallback;
        this.fail(
          ErrorCode.configEnvMissing,
          path,
          node,
          `environment variable ${name} is not set and has no default. Set it, or write \${${name}:-default}`,
        );
      },
    );
  }

  /** Walk a mapping against the key tree. */
  walk(node: unknown, tree: KeyNode & { kind: 'branch' }, path: string, into: Record<string, unknown> | null): void {
    const n = this.resolve(node);
    if (n === null || (isScalar(n) && n.value === null)) return;
    if (!isMap(n)) this.fail(ErrorCode.configInvalid, path, n, `expected a mapping of keys (${listKeys(tree)})`);
    for (const pair of n.items) {
      const key = this.keyOf(pair.key, path);
      const here = join(path, key);
      const child = tree.children.get(key);
      this.positions.set(here, this.position(this.resolve(pair.key)));
      if (child === undefined) {
        const guess = didYouMean(key, tree.children.keys());
        this.fail(
          ErrorCode.configUnknownKey,
          here,
          this.resolve(pair.key),
          `unknown key.${guess === null ? '' : ` Did you mean ${guess}?`} Keys here: ${listKeys(tree)}`,
        );
      }
      this.visit(pair.value, child, here, into, key);
    }
  }

  visit(value: unknown, child: KeyNode, here: string, into: Record<string, unknown> | null, key: string): void {
    switch (child.kind) {
      case 'unused': {
        const { line } = this.positions.get(here)!; // the key's line, before the value's replaces it
        const v = this.value(value, here); // interpolated (a missing ${VAR} is still an error), then set aside
        this.positions.set(here, { line, col: 0 });
        // null is "not set" (MLPerf's full templates write every key): nothing is left undone.
        if (v !== null) this.unused.push(`${here} (line ${line})`);
        return;
      }
      case 'branch': {
        const sub: Record<string, unknown> = {};
        this.walk(value, child, here, into === null ? null : sub);
        if (into !== null && Object.keys(sub).length > 0) into[key] = sub;
        return;
      }
      case 'leaf': {
        const v = this.value(value, here);
        if (v !== null && into !== null) into[key] = v;
        return;
      }
      case 'option': {
        const v = this.value(value, here);
        if (v === null) return; // MLPerf's `null`: not set
        this.input[child.key] = coerce(child.key, v);
        this.keys.add(child.key);
        return;
      }
      case 'datasets': {
        const n = this.resolve(value);
        if (n === null || (isScalar(n) && n.value === null)) return;
        if (!isSeq(n)) this.fail(ErrorCode.configInvalid, here, n, 'expected a list of datasets (- name: …, path: …)');
        const entries: unknown[] = [];
        n.items.forEach((item, i) => {
          const entry: Record<string, unknown> = {};
          const resolved = this.resolve(item);
          this.positions.set(`${here}[${i}]`, this.position(resolved));
          if (isScalar(resolved) && typeof resolved.value === 'string') {
            entries.push(this.value(resolved, `${here}[${i}]`)); // `- perf:data.jsonl,samples=10`
            return;
          }
          this.walk(resolved, child.item as KeyNode & { kind: 'branch' }, `${here}[${i}]`, entry);
          if (typeof entry.samples === 'string' && /^\d+$/.test(entry.samples)) entry.samples = Number(entry.samples);
          entries.push(entry);
        });
        this.input.dataset = entries;
        this.keys.add('dataset');
        return;
      }
    }
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function listKeys(tree: KeyNode & { kind: 'branch' }): string {
  return [...tree.children.keys()].join(', ');
}

/** Numbers and booleans written as strings (quoted, or from `${VAR}`) count, as pydantic's lax mode has it. */
function coerce(key: OptionKey, v: unknown): unknown {
  const kind = optionSpec(key).kind;
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if ((kind === 'int' || kind === 'number') && t !== '' && Number.isFinite(Number(t))) return Number(t);
  if (kind === 'boolean' && (t === 'true' || t === 'false')) return t === 'true';
  if (kind === 'list') return [v];
  return v;
}

/** Parse config text (the file's name is for messages). Throws BadInputError with file:line. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const line = syntax.linePos?.[0].line ?? lines.linePos(syntax.pos[0]).line;
    const reason = syntax.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '');
    throw new BadInputError(ErrorCode.configYamlSyntax, `${file}:${line}: YAML syntax error: ${reason}`);
  }
  const reader = new ConfigReader(file, doc, lines, env);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    throw new BadInputError(
      ErrorCode.configInvalid,
      `${file}: the file is empty. Start from \`llm-loadgen init online\`.`,
    );
  }
  const typeNode = isMap(root) ? root.get('type', true) : undefined;
  const type: unknown = isScalar(typeNode) ? typeNode.value : undefined;
  if (type === 'submission') {
    reader.fail(
      ErrorCode.configTypeUnsupported,
      'type',
      typeNode as Node,
      'submission runs (a ruleset and its compliance checks) are not supported; use offline, online or eval',
    );
  }
  // MLPerf Endpoints' `type: eval` is an accuracy-only run at max throughput: offline + --mode acc.
  const evalRun = type === 'eval';
  if (evalRun) (typeNode as Scalar).value = 'offline';
  reader.walk(root, keyTree(), '', null);
  if (evalRun && !reader.keys.has('testMode')) {
    reader.input.testMode = 'acc';
    reader.keys.add('testMode');
  }
  // Options of the other mode (MLPerf's offline template sets min_duration_ms) are not errors in
  // a file: they are listed as unused, as the reference ignores them there too.
  const mode = reader.input.mode;
  if (mode === 'offline' || mode === 'online') {
    for (const key of [...reader.keys]) {
      if (appliesTo(key, mode)) continue;
      // An offline file naming the offline pattern says what offline does; another pattern stays to be refused.
      if (key === 'loadPattern' && mode === 'offline') {
        if (reader.input.loadPattern !== 'max_throughput') continue;
        delete reader.input.loadPattern;
        reader.keys.delete(key);
        continue;
      }
      const yaml = optionSpec(key).yaml!;
      reader.unused.push(`${yaml} (line ${reader.positions.get(yaml)?.line ?? '?'}; not used in ${mode} runs)`);
      delete reader.input[key];
      reader.keys.delete(key);
    }
  }
  return {
    input: reader.input as Partial<BenchmarkSettingsInput>,
    keys: reader.keys,
    unused: reader.unused,
    where(key, subPath) {
      const yaml = BENCHMARK_OPTIONS[key].yaml ?? key;
      let path = yaml;
      for (const part of subPath) path += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
      // The deepest key we know a line for (a missing key: the file's first line).
      let probe = path;
      let pos = reader.positions.get(probe);
      while (pos === undefined && probe.length > 0) {
        probe = probe.replace(/(\[\d+\]|\.[^.[]+|^[^.[]+)$/, '');
        pos = reader.positions.get(probe);
      }
      return `${file}:${pos?.line ?? 1}: ${path}`;
    },
  };
}

/** Read and parse a config file. */
export async function readConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadInputError(
      ErrorCode.configUnreadable,
      `${file}: cannot read the config file (${code ?? String(err)}). Check the path given to -c/--config.`,
      { cause: err },
    );
  }
  return parseConfigText(text, file, env);
}

/**
 * Sources for merged settings: flags given name themselves, values from the file point into it,
 * and a key set by neither names both places it could go.
 */
export function mergedSources(
  config: ConfigFile,
  fromFlags: ReadonlySet<OptionKey>,
  flags: SettingSources,
  file: string,
): SettingSources {
  return {
    where(key, subPath) {
      if (fromFlags.has(key)) return flags.where(key, subPath);
      if (config.keys.has(key)) return config.where(key, subPath);
      const spec = optionSpec(key);
      const flag = spec.flag === null ? '' : ` (or ${flags.where(key, subPath)})`;
      return `${file}: ${spec.yaml ?? key}${flag}`;
    },
  };
}
