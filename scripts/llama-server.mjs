#!/usr/bin/env node
// A real inference engine for the tests (issue 8): llama.cpp's llama-server, built from the llama.cpp
// release that the npm package node-llama-cpp ships as a git bundle, plus a tiny random-weight llama
// GGUF with the real 32k-token SentencePiece vocabulary, plus a Hugging Face tokenizer directory
// (tokenizer.json, tokenizer_config.json with the chat template) made from that GGUF's vocabulary,
// for --tokenizer. Nothing here is a dependency of the project and nothing built or fetched is
// committed: all of it lives in a cache directory keyed by versions, so the first run builds (~9 min
// on 2 cores) and every later run takes well under a second.
//
//   node scripts/llama-server.mjs            build if needed, print {"binary","model","tokenizer",...}
//   node scripts/llama-server.mjs --prepare  the same, but always exit 0: a build that is impossible
//                                            here is said loudly and noted, so the engine tests skip
//                                            (this is the step `npm test` runs first)
//   node scripts/llama-server.mjs --check    never compiles: print the cached paths (exit 0; a missing
//                                            model or tokenizer is written, seconds), or the noted
//                                            reason it cannot be built (exit 3), or exit 1
//
// Environment: LLM_LOADGEN_LLAMA_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/llm-loadgen),
// LLM_LOADGEN_LLAMA_JOBS (cmake -j, default 2), LLM_LOADGEN_LLAMA_PYTHON (default python3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import process from 'node:process';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ggufTokenizerDigest } from './llama-server-gguf.mjs';

/** The node-llama-cpp release whose bundled llama.cpp is built. Bump it to move llama.cpp. */
export const NODE_LLAMA_CPP_VERSION = '3.22.1';
/** Shape of the generated model; part of the model's cache key. Context 4096 fits 4 slots of 1024. */
export const TINY_MODEL = { layers: 2, embd: 64, heads: 4, ff: 128, context: 4096, seed: 1 };
/**
 * 2: the chat template starts with {{ bos_token }}, as Llama-2's does: llama-server strips a leading
 * BOS from the rendered prompt and adds its own, a Hugging Face tokenizer renders it, so both count
 * the same tokens for a chat request (with version 1 the tokenizer counted one fewer).
 */
const MODEL_WRITER_VERSION = 2;
/** Part of the tokenizer directory's name, with the digest of the GGUF's tokenizer metadata. */
const TOKENIZER_WRITER_VERSION = 1;

const here = dirname(fileURLToPath(import.meta.url));

export function cacheRoot() {
  if (process.env.LLM_LOADGEN_LLAMA_CACHE) return process.env.LLM_LOADGEN_LLAMA_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'llm-loadgen');
}

function log(message) {
  process.stderr.write(`llama-server: ${message}\n`);
}

function run(cmd, args, options = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20, ...options });
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}); install it or skip the engine tests`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${tail}`);
  }
  return { stdout: String(r.stdout ?? ''), seconds: (Date.now() - started) / 1000 };
}

/** `mkdir` is atomic: one process builds, the others wait. A lock whose owner died is taken over. */
function withLock(dir, fn) {
  const lock = join(dir, '.lock');
  mkdirSync(dir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // Created but pid not yet written: wait.
      }
      if (owner > 0 && !alive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** node-llama-cpp's tarball, unpacked only for its llama/ directory (not installed, not a dependency). */
function fetchBundle(root) {
  const dir = join(root, `node-llama-cpp-${NODE_LLAMA_CPP_VERSION}`);
  const bundle = join(dir, 'package', 'llama', 'gitRelease.bundle');
  const info = join(dir, 'package', 'llama', 'llama.cpp.info.json');
  if (existsSync(bundle) && existsSync(info)) return { bundle, tag: JSON.parse(readFileSync(info, 'utf8')).tag };
  mkdirSync(dir, { recursive: true });
  log(`fetching node-llama-cpp@${NODE_LLAMA_CPP_VERSION} with npm pack (for its llama.cpp git bundle)`);
  const packed = run('npm', [
    'pack',
    '--silent',
    `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`,
    '--pack-destination',
    dir,
  ]);
  const tarball = join(dir, packed.stdout.trim().split('\n').pop());
  run('tar', ['xzf', tarball, '-C', dir, 'package/llama/gitRelease.bundle', 'package/llama/llama.cpp.info.json']);
  rmSync(tarball, { force: true });
  return { bundle, tag: JSON.parse(readFileSync(info, 'utf8')).tag };
}

function cloneSource(dir, bundle) {
  const src = join(dir, 'src');
  if (existsSync(join(src, 'CMakeLists.txt'))) return;
  rmSync(src, { recursive: true, force: true });
  log(`cloning ${bundle}`);
  run('git', ['clone', '--quiet', bundle, src]);
}

function buildServer(dir) {
  const binary = join(dir, 'bin', 'llama-server');
  if (existsSync(binary)) return { binary, built: false };
  const src = join(dir, 'src');
  const build = join(dir, 'build');
  const jobs = process.env.LLM_LOADGEN_LLAMA_JOBS || '2';
  log(`building llama-server in ${build} (cmake, Release, CPU only, -j${jobs}; about 9 minutes on 2 cores)`);
  const configure = run('cmake', [
    '-S',
    src,
    '-B',
    build,
    '-DCMAKE_BUILD_TYPE=Release',
    '-DBUILD_SHARED_LIBS=OFF', // one self-contained binary
    '-DLLAMA_CURL=OFF',
    '-DLLAMA_OPENSSL=OFF', // no downloads, no HTTPS: it serves loopback only
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    '-DLLAMA_BUILD_APP=OFF',
    '-DLLAMA_BUILD_UI=OFF',
    '-DGGML_NATIVE=ON', // the cache is per machine
  ]);
  const compile = run('cmake', ['--build', build, '--target', 'llama-server', '--config', 'Release', '-j', jobs]);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const produced = [join(build, 'bin', 'llama-server'), join(build, 'bin', 'Release', 'llama-server')].find(existsSync);
  if (!produced) throw new Error(`cmake finished but no llama-server binary under ${build}/bin`);
  renameSync(produced, `${binary}.tmp`);
  renameSync(`${binary}.tmp`, binary);
  const seconds = Math.round(configure.seconds + compile.seconds);
  writeFileSync(
    join(dir, 'build-info.json'),
    JSON.stringify({ seconds, jobs: Number(jobs), at: new Date().toISOString() }),
  );
  log(`built ${binary} in ${seconds} s; removing the build tree`);
  rmSync(build, { recursive: true, force: true });
  return { binary, built: true };
}

function modelPath(dir) {
  const m = TINY_MODEL;
  const name = `tiny-llama-l${m.layers}-e${m.embd}-h${m.heads}-f${m.ff}-c${m.context}-s${m.seed}-w${MODEL_WRITER_VERSION}.gguf`;
  return join(dir, name);
}

/** python3 with numpy (gguf-py needs it), or a message saying how to get it. */
function python() {
  const python = process.env.LLM_LOADGEN_LLAMA_PYTHON || 'python3';
  const probe = spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${python} with numpy is needed to write the test model and its tokenizer (gguf-py); install numpy (pip install numpy, or apt-get install python3-numpy) or set LLM_LOADGEN_LLAMA_PYTHON`,
    );
  }
  return python;
}

function makeModel(dir) {
  const m = TINY_MODEL;
  const model = modelPath(dir);
  if (existsSync(model)) return model;
  const src = join(dir, 'src');
  log(`writing ${model} with gguf-py`);
  run(
    python(),
    [
      join(here, 'llama-server-model.py'),
      '--vocab',
      join(src, 'models', 'ggml-vocab-llama-spm.gguf'),
      '--out',
      `${model}.tmp`,
      '--layers',
      String(m.layers),
      '--embd',
      String(m.embd),
      '--heads',
      String(m.heads),
      '--ff',
      String(m.ff),
      '--context',
      String(m.context),
      '--seed',
      String(m.seed),
    ],
    { env: { ...process.env, PYTHONPATH: join(src, 'gguf-py') } },
  );
  renameSync(`${model}.tmp`, model);
  return model;
}

/**
 * The Hugging Face tokenizer directory for `model` (scripts/llama-server-tokenizer.py), named by the
 * digest of the GGUF's tokenizer metadata: a changed vocabulary or chat template is a new directory.
 */
function tokenizerPath(model) {
  const key = ggufTokenizerDigest(model).slice(0, 16);
  return join(dirname(model), `${basename(model, '.gguf')}.tokenizer-t${TOKENIZER_WRITER_VERSION}-${key}`);
}

function makeTokenizer(dir, model) {
  const out = tokenizerPath(model);
  if (existsSync(join(out, 'tokenizer.json'))) return out;
  log(`writing ${out} (tokenizer.json from the GGUF's vocabulary) with gguf-py`);
  const tmp = `${out}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  run(python(), [join(here, 'llama-server-tokenizer.py'), '--model', model, '--out', tmp], {
    env: { ...process.env, PYTHONPATH: join(dir, 'src', 'gguf-py') },
  });
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return out;
}

/**
 * Builds (once) and returns { binary, model, tokenizer, tag, dir, binaryBytes, modelBytes, buildSeconds }.
 * With build = false nothing is compiled (null when the binary is not there), but a missing model or
 * tokenizer is still written: seconds, from the cached llama.cpp tree.
 */
export function ensureLlamaServer({ build = true } = {}) {
  const root = cacheRoot();
  let found = cachedBuild(root);
  if (found === null) {
    if (!build) return null;
    found = withLock(root, () => cachedBuild(root) ?? buildAll(root));
  }
  return describe(withDerived(root, found));
}

function buildAll(root) {
  const { bundle, tag } = fetchBundle(root);
  const dir = join(root, `llama-${tag}-nlc${NODE_LLAMA_CPP_VERSION}`);
  mkdirSync(dir, { recursive: true });
  cloneSource(dir, bundle);
  const model = makeModel(dir); // seconds, and it fails early (no numpy) before a 9-minute build
  makeTokenizer(dir, model);
  const { binary } = buildServer(dir);
  writeFileSync(join(root, `current-nlc${NODE_LLAMA_CPP_VERSION}.json`), JSON.stringify({ tag, dir, binary, model }));
  return { tag, dir, binary };
}

/** The built binary ({tag, dir, binary}), or null. The model and tokenizer are derived from `dir`. */
function cachedBuild(root) {
  const pointer = join(root, `current-nlc${NODE_LLAMA_CPP_VERSION}.json`);
  if (!existsSync(pointer)) return null;
  const p = JSON.parse(readFileSync(pointer, 'utf8'));
  if (!existsSync(p.binary) || !existsSync(join(p.dir, 'src', 'CMakeLists.txt'))) return null;
  return { tag: p.tag, dir: p.dir, binary: p.binary };
}

/** The build plus this script's model and tokenizer, written (under the lock) when missing. */
function withDerived(root, p) {
  const model = modelPath(p.dir);
  const ready = () => existsSync(model) && existsSync(join(tokenizerPath(model), 'tokenizer.json'));
  if (!ready()) {
    withLock(root, () => {
      if (!ready()) makeTokenizer(p.dir, makeModel(p.dir));
    });
  }
  return { ...p, model, tokenizer: tokenizerPath(model) };
}

function describe(p) {
  let buildSeconds = null;
  try {
    buildSeconds = JSON.parse(readFileSync(join(p.dir, 'build-info.json'), 'utf8')).seconds;
  } catch {
    // Built by an older script: unknown.
  }
  return { ...p, binaryBytes: statSync(p.binary).size, modelBytes: statSync(p.model).size, buildSeconds };
}

/** Why the last build failed here; the engine tests skip with it until a build succeeds. */
function unavailableNote() {
  return join(cacheRoot(), `unavailable-nlc${NODE_LLAMA_CPP_VERSION}.json`);
}

function main(args) {
  if (args.includes('--check')) {
    let found;
    try {
      found = ensureLlamaServer({ build: false });
    } catch (e) {
      log(e instanceof Error ? e.message : String(e));
      return 1;
    }
    if (found) {
      process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      return 0;
    }
    if (existsSync(unavailableNote())) {
      process.stderr.write(JSON.parse(readFileSync(unavailableNote(), 'utf8')).reason + '\n');
      return 3;
    }
    log('not built yet: run node scripts/llama-server.mjs (about 9 minutes on 2 cores, once)');
    return 1;
  }
  const started = Date.now();
  try {
    const r = ensureLlamaServer();
    rmSync(unavailableNote(), { force: true });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    if (Date.now() - started > 10_000 || args.includes('--prepare')) {
      const mb = (n) => (n / 1048576).toFixed(1);
      log(
        `ready in ${((Date.now() - started) / 1000).toFixed(0)} s: llama.cpp ${r.tag}, binary ${mb(r.binaryBytes)} MB, ` +
          `model ${mb(r.modelBytes)} MB` +
          (r.buildSeconds === null ? '' : ` (built in ${r.buildSeconds} s)`),
      );
    }
    return 0;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    mkdirSync(cacheRoot(), { recursive: true });
    writeFileSync(unavailableNote(), JSON.stringify({ reason, at: new Date().toISOString() }));
    if (!args.includes('--prepare')) {
      log(reason);
      return 1;
    }
    const bar = '!'.repeat(100);
    process.stderr.write(
      `${bar}\nllama-server cannot be built here, so the real-engine tests (test/engine/) will be SKIPPED:\n${reason}\n${bar}\n`,
    );
    return 0;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
