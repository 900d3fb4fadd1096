/**
 * The README's "Benchmark flags" table, generated from the option table (a test checks the README
 * holds exactly this between its markers). `node --import tsx src/config/option-docs.ts README.md`
 * rewrites it in place.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultText } from '../cli/benchmark-flags.js';
import { OPTION_KEYS, optionSpec } from './benchmark-options.js';

export const FLAG_TABLE_START = '<!-- benchmark-flags:start (generated from src/config/benchmark-options.ts) -->';
export const FLAG_TABLE_END = '<!-- benchmark-flags:end -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function flagTableMarkdown(): string {
  const rows = ['| flag (aliases) | YAML key | meaning | default |', '|---|---|---|---|'];
  for (const key of OPTION_KEYS) {
    const spec = optionSpec(key);
    if (spec.flag === null) continue;
    const names = [`\`${spec.flag}\``, ...(spec.aliases ?? []).map((a) => `\`${a}\``)].join(' ');
    const only = spec.modes !== undefined && spec.modes.length === 1 ? ` (${spec.modes[0]} only)` : '';
    const choices = spec.choices !== undefined ? ` One of ${spec.choices.map((c) => `\`${c}\``).join(', ')}.` : '';
    const unit = spec.unit !== undefined ? ` Unit: ${spec.unit}.` : '';
    rows.push(
      `| ${cell(names)} | ${spec.yaml === null ? '—' : `\`${spec.yaml}\``} | ${cell(spec.help)}${only}.${cell(choices)}${unit} | ${cell(defaultText(key))} |`,
    );
  }
  return rows.join('\n');
}

/** The README text with its table replaced by the generated one. */
export function withFlagTable(readme: string): string {
  const start = readme.indexOf(FLAG_TABLE_START);
  const end = readme.indexOf(FLAG_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README: markers ${FLAG_TABLE_START} … ${FLAG_TABLE_END} not found`);
  return readme.slice(0, start + FLAG_TABLE_START.length) + '\n' + flagTableMarkdown() + '\n' + readme.slice(end);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? 'README.md';
  writeFileSync(file, withFlagTable(readFileSync(file, 'utf8')));
}
