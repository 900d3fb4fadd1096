import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { BadInputError } from '../../src/errors.js';
import { loadLocalTokenizer } from '../../src/tokenize/local-tokenizer.js';
import { withTemp } from '../cli/cli-process.js';
import { PLAIN_TEMPLATE, tokenizerJson, writeTokenizerDir } from './test-tokenizer.js';

test('a model directory: completions encode with the post-processor, chat through the template', async () => {
  await withTemp(async (tmp) => {
    const dir = await writeTokenizerDir(path.join(tmp.dir, 'model'), { bos: true });
    const t = loadLocalTokenizer(dir);
    assert.match(t.description, /tokenizer\.json/);
    // 5 words, one unknown ([UNK] is still one token), plus <s> from the post-processor.
    assert.equal(t.countSync({ prompt: 'alpha beta unknownword gamma delta' }), 6);
    assert.equal(t.countSync({ prompt: '' }), 1, 'an empty prompt still has its BOS');
    // <s> <|system|> 2 words <|user|> 3 words <|assistant|>: the template writes BOS; none is added twice.
    const messages = [
      { role: 'system' as const, content: 'alpha beta' },
      { role: 'user' as const, content: 'gamma x y' },
    ];
    assert.equal(t.countSync({ messages }), 1 + 1 + 2 + 1 + 3 + 1);
    assert.equal(t.chatTemplate?.render(messages), '<s><|system|> alpha beta <|user|> gamma x y <|assistant|>');
    assert.equal(await t.count({ prompt: 'alpha' }), 2);
  });
});

test('a tokenizer.json file alone; a directory without a chat template counts the message text', async () => {
  await withTemp(async (tmp) => {
    const file = path.join(tmp.dir, 'tok.json');
    await writeFile(file, JSON.stringify(tokenizerJson()));
    const t = loadLocalTokenizer(file);
    assert.equal(t.countSync({ prompt: 'a b c' }), 3);
    assert.equal(t.chatTemplate, null);
    assert.equal(t.countSync({ messages: [{ role: 'user', content: 'a b c' }] }), 3);
    assert.match(t.description, /no chat template/);

    const plain = loadLocalTokenizer(
      await writeTokenizerDir(path.join(tmp.dir, 'plain'), { chatTemplate: PLAIN_TEMPLATE }),
    );
    assert.equal(
      plain.countSync({
        messages: [
          { role: 'user', content: 'a b c' },
          { role: 'assistant', content: 'd' },
        ],
      }),
      4,
    );
  });
});

test('a path that is not a tokenizer is bad input naming --tokenizer', async () => {
  await withTemp(async (tmp) => {
    const notJson = path.join(tmp.dir, 'bad.json');
    await writeFile(notJson, '{oops');
    const badTemplate = await writeTokenizerDir(path.join(tmp.dir, 'badtpl'), {
      chatTemplate: '{% for m in messages %}',
    });
    for (const [where, pattern] of [
      [path.join(tmp.dir, 'missing'), /no such file or directory/],
      [tmp.dir, /cannot read .*tokenizer\.json/],
      [notJson, /not valid JSON/],
      [badTemplate, /chat template .* does not parse/],
    ] as const) {
      assert.throws(
        () => loadLocalTokenizer(where),
        (err: unknown) =>
          err instanceof BadInputError &&
          err.code === 'tokenizer_invalid' &&
          err.message.startsWith('--tokenizer ') &&
          pattern.test(err.message),
        where,
      );
    }
  });
});
