/**
 * One nginx target for the open-loop benches: the 940-byte OpenAI JSON answer of
 * client-throughput.ts's `json` target, one worker pinned to core 0, any POST answered 200.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDebianTools } from './debian-tools.js';

export interface NginxJson {
  url: string;
  stop(): void;
}

/** The OpenAI JSON answer every JSON target serves (client-throughput.ts's `json` target too). */
export const JSON_ANSWER = {
  id: 'chatcmpl-bench0000000000000000000000',
  object: 'chat.completion',
  created: 1764000000,
  model: 'bench-model',
  system_fingerprint: 'fp_bench',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'word '.repeat(120).trim(), refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 64, completion_tokens: 120, total_tokens: 184 },
};

export async function startNginxJson(port: number, core = '0'): Promise<NginxJson> {
  ensureDebianTools([['nginx', 'nginx-light']]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-nginx-json-'));
  chmodSync(dir, 0o755); // nginx workers run unprivileged and must read the body
  writeFileSync(path.join(dir, 'body.json'), JSON.stringify(JSON_ANSWER));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `
worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
master_process on;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 8192; multi_accept on; }
http {
  types { application/json json; }
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  tcp_nodelay on;
  etag off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      root ${dir};
      try_files /body.json =404;
      error_page 405 =200 $uri;
      sendfile on;
    }
  }
}`,
  );
  const nginx = spawn('taskset', ['-c', core, 'nginx', '-c', path.join(dir, 'nginx.conf'), '-p', dir], {
    stdio: 'inherit',
  });
  await new Promise((r) => setTimeout(r, 700));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      nginx.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
