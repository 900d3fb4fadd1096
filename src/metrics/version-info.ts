/**
 * `version` and `git_sha` of result_summary.json, as MLPerf Endpoints fills them
 * (utils/version.py): the package version, and the short commit of the llm-loadgen checkout the
 * code runs from — null when it is not a git checkout (an installed package) or git is missing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: { version: string; gitSha: string | null } | undefined;

export function versionInfo(): { version: string; gitSha: string | null } {
  cached ??= { version: readVersion(), gitSha: readGitSha() };
  return cached;
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function readGitSha(): string | null {
  try {
    // One call, 1 s at most (theirs too): the toplevel guard keeps a checkout that merely
    // contains an installed copy (node_modules) from reporting its own commit.
    const [top, sha] = execFileSync('git', ['rev-parse', '--show-toplevel', '--short=7', 'HEAD'], {
      cwd: PACKAGE_ROOT,
      timeout: 1000,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n');
    if (top === undefined || sha === undefined || realpathSync(top) !== realpathSync(PACKAGE_ROOT)) return null;
    return /^[0-9a-f]{7,40}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}
