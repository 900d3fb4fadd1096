/** `llm-loadgen serve` as a process: prints its URL, serves, and exits 0 on Ctrl-C. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeResult, spawnCli, waitFor } from './cli-process.js';

test(
  'serve --port 0 prints the URL, answers /v1/models and a completion, exits 0 on SIGINT',
  { timeout: 60_000 },
  async () => {
    const { child, finished } = spawnCli(['serve', '--port', '0', '--output-tokens', '3'], { timeoutMs: 20_000 });
    let stdout = '';
    child.stdout!.on('data', (s: string) => (stdout += s));
    try {
      await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(stdout), 15_000, 'the URL line');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1];
      assert.match(stdout, /\(ttft 0 ms, itl 0 ms, 3 output tokens\)/);

      const models = await fetch(`${url}/v1/models`);
      assert.equal(models.status, 200);
      const list = (await models.json()) as { object: string; data: { id: string }[] };
      assert.equal(list.object, 'list');
      assert.ok(list.data.length > 0);

      const completion = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', prompt: 'hi' }),
      });
      assert.equal(completion.status, 200);
      const body = (await completion.json()) as { choices: { text: string }[] };
      assert.equal(body.choices[0].text, 'tok0 tok1 tok2 ');

      child.kill('SIGINT');
      const r = await finished;
      assert.equal(r.code, 0, describeResult(r));
      await assert.rejects(fetch(`${url}/v1/models`), 'nothing listens after exit');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await finished.catch(() => undefined);
    }
  },
);
