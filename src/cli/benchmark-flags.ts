/**
 * Commander options built from the option table: one per flag name (aliases hidden from the
 * option list and named in the help line), no defaults here (zod owns them, and an unset flag
 * must not override a config file), and reading them back into settings input.
 */
import { Command, Option } from 'commander';
import {
  OPTION_KEYS,
  appliesTo,
  flagName,
  optionDefault,
  optionSpec,
  type BenchmarkMode,
  type OptionKey,
} from '../config/benchmark-options.js';
import type { BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { formatDurationMs } from '../config/duration.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { collectList, parseIntFlag, parseNumberFlag } from './flag-parsers.js';
import { listOf } from '../sweep/sweep-values.js';

function collectRepeat(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The default as `--help` and the README show it. */
export function defaultText(key: OptionKey): string {
  const spec = optionSpec(key);
  if (spec.defaultText !== undefined) return spec.defaultText;
  const value = optionDefault(key);
  if (value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (spec.unit === 's' || spec.unit === 'ms') return formatDurationMs(value as number);
  if (key === 'apiType') return 'openai';
  return String(value);
}

function description(key: OptionKey): string {
  const spec = optionSpec(key);
  const extras = [`default: ${defaultText(key)}`];
  if (spec.aliases !== undefined) extras.push(`also ${spec.aliases.join(', ')}`);
  if (spec.yaml !== null) extras.push(`YAML ${spec.yaml}`);
  return `${spec.help} (${extras.join('; ')})`;
}

function commanderOption(key: OptionKey, flag: string, hidden: boolean): Option {
  const spec = optionSpec(key);
  const option = new Option(flag, hidden ? `alias of ${flagName(spec.flag!)}` : description(key));
  if (hidden) option.hideHelp();
  switch (spec.kind) {
    case 'int':
      return option.argParser(spec.sweep === true ? listOf(parseIntFlag) : parseIntFlag);
    case 'number':
      return option.argParser(spec.sweep === true ? listOf(parseNumberFlag) : parseNumberFlag);
    case 'list':
      return option.argParser(collectList);
    case 'repeat':
      return option.argParser(collectRepeat);
    case 'choice':
      return option.choices(spec.choices!);
    default:
      return option;
  }
}

/** `--client.max-connections <n>` keeps the placeholder of the main flag. */
function aliasFlag(alias: string, mainFlag: string): string {
  const placeholder = mainFlag.slice(flagName(mainFlag).length);
  return alias + placeholder;
}

/** Every table option that has a flag and applies to `mode` ('any': from-config, mode from the file). */
export function addBenchmarkFlags(cmd: Command, mode: BenchmarkMode | 'any'): Command {
  for (const key of OPTION_KEYS) {
    const spec = optionSpec(key);
    if (spec.flag === null || (mode !== 'any' && !appliesTo(key, mode))) continue;
    cmd.addOption(commanderOption(key, spec.flag, false));
    for (const alias of spec.aliases ?? []) cmd.addOption(commanderOption(key, aliasFlag(alias, spec.flag), true));
  }
  return cmd;
}

export interface GivenFlags {
  input: Partial<BenchmarkSettingsInput>;
  /** Options set on the command line. */
  keys: Set<OptionKey>;
}

/** The flags the user gave, as settings input (absent flags stay absent). */
export function readBenchmarkFlags(cmd: Command): GivenFlags {
  const values = cmd.opts<Record<string, unknown>>();
  const input: Record<string, unknown> = {};
  const keys = new Set<OptionKey>();
  for (const key of OPTION_KEYS) {
    const spec = optionSpec(key);
    if (spec.flag === null) continue;
    const names = [spec.flag, ...(spec.aliases ?? []).map((a) => aliasFlag(a, spec.flag!))];
    const given: { name: string; value: unknown }[] = [];
    for (const name of names) {
      const option = cmd.options.find((o) => o.flags === name);
      if (option === undefined) continue;
      const value = values[option.attributeName()];
      if (value !== undefined) given.push({ name: flagName(name), value });
    }
    if (given.length === 0) continue;
    if (given.length > 1 && spec.kind !== 'list' && spec.kind !== 'repeat') {
      throw new BadInputError(
        ErrorCode.flagGivenTwice,
        `${given.map((g) => g.name).join(' and ')} are the same option: give one of them`,
      );
    }
    input[key] = given.length === 1 ? given[0].value : given.flatMap((g) => g.value as unknown[]);
    keys.add(key);
  }
  return { input: input as Partial<BenchmarkSettingsInput>, keys };
}
