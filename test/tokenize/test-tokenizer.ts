/**
 * Test fixture: a small Hugging Face tokenizer written in the test itself. WordPiece over a
 * whitespace split, with no subword pieces, so every whitespace-separated word is exactly one
 * token (a known word or [UNK]) — the mock server's rule (src/servers/mock-tokens.ts) — plus
 * special tokens a chat template writes. `bos: true` adds a TemplateProcessing post-processor that
 * puts <s> before every encoded prompt, as Llama's tokenizer does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const SPECIALS = ['[UNK]', '<s>', '</s>', '<|user|>', '<|system|>', '<|assistant|>'];
/** Words with ids of their own (any other word is [UNK], still one token). */
export const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];

/** Renders bos, then `<|role|> content ` per message, then `<|assistant|>`: W words + 2 + messages. */
export const CHAT_TEMPLATE =
  '{{ bos_token }}{% for m in messages %}<|{{ m.role }}|> {{ m.content }} {% endfor %}' +
  '{% if add_generation_prompt %}<|assistant|>{% endif %}';
/** The message text only (what the mock counts for a chat request). */
export const PLAIN_TEMPLATE = '{% for m in messages %}{{ m.content }}\n{% endfor %}';

export function tokenizerJson(options: { bos?: boolean } = {}): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  [...SPECIALS, ...WORDS].forEach((t, i) => (vocab[t] = i));
  const added = SPECIALS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const bos = { SpecialToken: { id: '<s>', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor:
      options.bos === true
        ? {
            type: 'TemplateProcessing',
            single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
            special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
          }
        : null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** A model directory: tokenizer.json and tokenizer_config.json (with `chatTemplate` unless null). */
export async function writeTokenizerDir(
  dir: string,
  options: { bos?: boolean; chatTemplate?: string | null } = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(options)));
  const config: Record<string, unknown> = {
    bos_token: { content: '<s>', __type: 'AddedToken' },
    eos_token: '</s>',
    unk_token: '[UNK]',
    model_max_length: 4096,
  };
  const template = options.chatTemplate === undefined ? CHAT_TEMPLATE : options.chatTemplate;
  if (template !== null) config.chat_template = template;
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

/**
 * A tokenizer that spells words out: WordPiece with only letters, so "amber" is a, ##m, ##b, ##e,
 * ##r — five tokens — and lengths cannot be met by whole words alone.
 */
export function letterTokenizerJson(): Record<string, unknown> {
  const json = tokenizerJson();
  const vocab: Record<string, number> = {};
  SPECIALS.forEach((t, i) => (vocab[t] = i));
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:,';
  for (const c of letters) vocab[c] = Object.keys(vocab).length;
  for (const c of letters) vocab[`##${c}`] = Object.keys(vocab).length;
  return { ...json, model: { ...(json.model as Record<string, unknown>), vocab } };
}
