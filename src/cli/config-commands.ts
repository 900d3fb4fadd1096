/** `llm-loadgen init`, `validate` and `info`: config templates, config checks, and the host's facts. */
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Command, Argument } from 'commander';
import { parseEndpoints } from '../api/endpoint.js';
import { bindNoPortAvailable } from '../client/bound-socket.js';
import { resolveSettings } from '../config/benchmark-settings.js';
import { TEMPLATE_KINDS, configTemplate, type TemplateKind } from '../config/config-template.js';
import { readOpenFilesLimit } from '../config/port-budget.js';
import { formatSettingsYaml, settingsTree } from '../config/settings-yaml.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { nativeAddon } from '../native/addon.js';
import { addBenchmarkFlags } from './benchmark-flags.js';
import { loadConfigWithFlags, unusedKeysNotice } from './benchmark-command.js';

export function initCommand(): Command {
  return new Command('init')
    .description('write a commented config template (generated from the option table)')
    .addArgument(new Argument('<kind>', 'which template').choices(TEMPLATE_KINDS))
    .option('--output <file>', 'write it here instead of stdout (an existing file is not overwritten)')
    .action(async (kind: TemplateKind, flags: { output?: string }) => {
      const text = configTemplate(kind);
      if (flags.output === undefined) {
        process.stdout.write(text);
        return;
      }
      try {
        await writeFile(flags.output, text, { encoding: 'utf8', flag: 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new BadInputError(
          ErrorCode.initOutputUnwritable,
          `--output ${flags.output}: cannot write (${code === 'EEXIST' ? 'the file exists; remove it or pick another name' : (code ?? String(err))})`,
          { cause: err },
        );
      }
      process.stderr.write(
        `wrote ${flags.output}; run it with: llm-loadgen benchmark from-config -c ${flags.output}\n`,
      );
    });
}

export function validateCommand(): Command {
  const cmd = addBenchmarkFlags(
    new Command('validate')
      .description('check a config file (and any flags given with it) and print the resolved settings')
      .requiredOption('-c, --config <file>', 'the YAML config'),
    'any',
  );
  return cmd.action(async (flags: { config: string }, self: Command) => {
    const { input, config } = await loadConfigWithFlags(flags.config, self);
    process.stderr.write(unusedKeysNotice(flags.config, config.unused));
    // The dataset is not read here: an offline count of "one per row" shows as null.
    const settings = resolveSettings(input, Infinity);
    const shown = parseEndpoints(settings.endpoints, settings.apiType).map((e) => e.displayUrl);
    process.stdout.write(
      `# ${flags.config}: valid (the dataset file and the endpoints were not checked)\n` +
        formatSettingsYaml(settingsTree(settings, { endpoints: shown }), settings.apiKey !== undefined),
    );
  });
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function portRange(): string {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return `${lo}–${hi} (${hi - lo + 1} ports)`;
  } catch {
    return 'unknown (not Linux?)';
  }
}

export function infoCommand(): Command {
  return new Command('info')
    .description('print version, Node, OS, CPUs, port range, open-files limit, native addon')
    .action(() => {
      const cpus = os.cpus();
      const addon = nativeAddon();
      const lines = [
        `llm-loadgen      ${packageVersion()}`,
        `node             ${process.version}`,
        `os               ${os.type()} ${os.release()} ${os.arch()}`,
        `cpus             ${os.availableParallelism()}${cpus[0] !== undefined ? ` × ${cpus[0].model.trim()}` : ''}`,
        `port range       ${portRange()}`,
        `open-files limit ${readOpenFilesLimit()} per process`,
        `native addon     ${addon !== null ? `built${bindNoPortAvailable() ? ' (IP_BIND_ADDRESS_NO_PORT available)' : ''}` : 'not built: --source-ips uses plain bind and SSE decoding stays in JS (npm rebuild to build it)'}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
