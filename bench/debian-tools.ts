/** Benchmarks install what they need from Debian when it is missing (they run as root here). */
import { execFileSync, spawnSync } from 'node:child_process';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** `tools`: [command, Debian package] pairs. */
export function ensureDebianTools(tools: readonly (readonly [string, string])[]): void {
  const missing = tools.filter(([cmd]) => !have(cmd)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  process.stderr.write(`installing ${missing.join(', ')} from Debian…\n`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
