import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withMock } from '../cli/cli-process.js';

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test("the mock's /tokenize answers in vLLM's and llama.cpp's shapes with its usage counts", async () => {
  await withMock({}, async (mock) => {
    const messages = [
      { role: 'system', content: 'be  brief' },
      { role: 'user', content: 'one two\nthree' },
    ];
    const chat = await post(`${mock.url}/v1/chat/completions`, { model: 'm', messages, max_tokens: 1 });
    const usage = (chat.json.usage as { prompt_tokens: number }).prompt_tokens;
    assert.equal(usage, 5);

    const vllmChat = await post(`${mock.url}/tokenize`, { model: 'm', messages, add_generation_prompt: true });
    assert.equal(vllmChat.status, 200);
    assert.equal(vllmChat.json.count, usage);
    assert.equal((vllmChat.json.tokens as number[]).length, usage);
    assert.equal(typeof vllmChat.json.max_model_len, 'number');

    const vllmPrompt = await post(`${mock.url}/tokenize`, { model: 'm', prompt: 'a b c' });
    assert.equal(vllmPrompt.json.count, 3);

    const template = await post(`${mock.url}/apply-template`, { messages });
    const llama = await post(`${mock.url}/tokenize`, { content: template.json.prompt, add_special: true });
    assert.deepEqual(Object.keys(llama.json), ['tokens']);
    assert.equal((llama.json.tokens as number[]).length, usage);

    assert.equal((await post(`${mock.url}/tokenize`, { model: 'm' })).status, 400);
    assert.equal((await fetch(`${mock.url}/tokenize`)).status, 405);
  });
});
