/**
 * The Hugging Face tokenizer that scripts/llama-server-tokenizer.py writes from the test GGUF's
 * vocabulary tokenizes exactly as llama-server does: the same ids from @huggingface/tokenizers and
 * from the server's /tokenize on a few hundred varied strings, with and without BOS; its chat
 * template renders what llama-server renders (/apply-template); and --tokenizer's counts (the
 * project's own loader) equal the server's usage for chat and completions requests.
 */
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ggufTokenizerDigest } from '../../scripts/llama-server-gguf.mjs';
import type { ChatMessage } from '../../src/dataset/sample.js';
import { loadLocalTokenizer, type LocalTokenizer } from '../../src/tokenize/local-tokenizer.js';
import { withTemp } from '../cli/cli-process.js';
import { useLlamaServer, type RunningLlamaServer } from '../fixtures/llama-server.js';
import { tokenizerCorpus } from './tokenizer-corpus.js';

const engine = useLlamaServer({ parallel: 2 });

async function post<T>(server: RunningLlamaServer, route: string, body: object): Promise<T> {
  const res = await fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${route}: ${text}`);
  return JSON.parse(text) as T;
}

/** The server and its tokenizer, or null after skipping (no engine, or one built without a tokenizer). */
function setup(t: Parameters<typeof engine.get>[0]): { server: RunningLlamaServer; tok: LocalTokenizer } | null {
  const server = engine.get(t);
  if (server === null) return null;
  if (server.build.tokenizer === undefined) {
    const why = 'this llama-server build has no tokenizer directory (LLM_LOADGEN_LLAMA_TOKENIZER unset)';
    console.error(`!!! SKIPPED "${t.name}": ${why}`);
    t.skip(why);
    return null;
  }
  return { server, tok: loadLocalTokenizer(server.build.tokenizer) };
}

test('tokenizer.json gives the ids llama-server /tokenize gives, on a few hundred varied strings, with and without BOS', async (t) => {
  const s = setup(t);
  if (s === null) return;
  const corpus = tokenizerCorpus();
  assert.ok(corpus.length >= 300, `${corpus.length} strings`);
  const divergent: string[] = [];
  const decodeDivergent: string[] = [];
  let tokens = 0;
  for (const text of corpus) {
    for (const addSpecial of [true, false]) {
      const server = (
        await post<{ tokens: number[] }>(s.server, '/tokenize', { content: text, add_special: addSpecial })
      ).tokens;
      const ids = s.tok.tokenizer.encode(text, { add_special_tokens: addSpecial }).ids;
      tokens += ids.length;
      if (JSON.stringify(ids) !== JSON.stringify(server))
        divergent.push(`${JSON.stringify(text)} add_special=${addSpecial}: server ${server} tokenizer ${ids}`);
    }
    const ids = s.tok.tokenizer.encode(text, { add_special_tokens: false }).ids;
    if (ids.length === 0) continue;
    // llama-server's /detokenize keeps the space its tokenizer put before the text; the Hugging Face
    // decoder strips it (Strip decoder), as transformers does for Llama.
    const server = (await post<{ content: string }>(s.server, '/detokenize', { tokens: ids })).content;
    const decoded = s.tok.tokenizer.decode(ids, { clean_up_tokenization_spaces: false });
    if ((server.startsWith(' ') ? server.slice(1) : server) !== decoded)
      decodeDivergent.push(
        `${JSON.stringify(text)}: server ${JSON.stringify(server)} decoder ${JSON.stringify(decoded)}`,
      );
  }
  console.error(`tokenizer vs /tokenize: ${corpus.length * 2} encodes (${tokens} tokens), ${divergent.length} differ`);
  assert.deepEqual(divergent, [], `${divergent.length} of ${corpus.length * 2} encodes differ`);
  assert.deepEqual(decodeDivergent, []);
});

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: 'user', content: 'hello there' }],
  [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Count to three: 1, 2, 3?' },
  ],
  [
    { role: 'user', content: 'Translate 日本語 to English.' },
    { role: 'assistant', content: 'Japanese 🙂' },
    { role: 'user', content: '  and   with spaces\n\tand tabs  ' },
  ],
  [{ role: 'user', content: 'a <s> inside </s> text' }],
  [{ role: 'user', content: '' }],
];

test('the chat template renders what llama-server applies (it strips the BOS the template writes and adds its own); chat and completions counts equal usage', async (t) => {
  const s = setup(t);
  if (s === null) return;
  const template = s.tok.chatTemplate;
  assert.ok(template !== null, 'tokenizer_config.json carries the GGUF chat template');
  for (const messages of CONVERSATIONS) {
    const applied: { prompt: string } = await post(s.server, '/apply-template', { messages });
    assert.equal(template.render(messages), `<s>${applied.prompt}`, JSON.stringify(messages));
    const chat: { usage: { prompt_tokens: number } } = await post(s.server, '/v1/chat/completions', {
      messages,
      max_tokens: 1,
    });
    assert.equal(s.tok.countSync({ messages }), chat.usage.prompt_tokens, JSON.stringify(messages));
  }
  for (const prompt of tokenizerCorpus(20, 9).filter((p) => p !== '')) {
    const done: { usage: { prompt_tokens: number } } = await post(s.server, '/v1/completions', {
      prompt,
      max_tokens: 1,
    });
    assert.equal(s.tok.countSync({ prompt }), done.usage.prompt_tokens, JSON.stringify(prompt));
  }
});

test("the tokenizer directory is keyed by the GGUF's tokenizer metadata: one changed token is a new key", async (t) => {
  const server = engine.get(t);
  if (server === null) return;
  await withTemp(async (tmp) => {
    const copy = path.join(tmp.dir, 'copy.gguf');
    await copyFile(server.build.model, copy);
    assert.equal(ggufTokenizerDigest(copy), ggufTokenizerDigest(server.build.model));
    const bytes = await readFile(copy);
    const at = bytes.indexOf(Buffer.from('▁hello', 'utf8'));
    assert.ok(at > 0, 'the vocabulary has ▁hello');
    bytes[at + Buffer.byteLength('▁hell')] = 'p'.charCodeAt(0);
    await writeFile(copy, bytes);
    assert.notEqual(ggufTokenizerDigest(copy), ggufTokenizerDigest(server.build.model));
    if (server.build.tokenizer !== undefined)
      assert.ok(
        path.basename(server.build.tokenizer).endsWith(ggufTokenizerDigest(server.build.model).slice(0, 16)),
        'the directory is named by the digest',
      );
  });
});
