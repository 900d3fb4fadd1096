/**
 * `--tokenizer PATH`: a Hugging Face `tokenizer.json`, or a model directory holding one, loaded
 * with @huggingface/tokenizers; the chat template comes from the directory's tokenizer_config.json
 * (`chat_template`), chat_template.jinja or chat_template.json, as transformers saves them.
 *
 * Counting follows what vLLM and SGLang do with the request: a completions prompt is encoded with
 * the tokenizer's special tokens (its post-processor adds BOS where the model has one); a chat
 * request is rendered with the template, which writes its own special tokens, and encoded without
 * adding any (transformers' apply_chat_template(tokenize=True) does the same).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BadInputError, ErrorCode } from '../errors.js';
import { chatTemplateSource, compileChatTemplate, type ChatTemplate } from './chat-template.js';
import type { PromptBody, PromptCounter } from './prompt-counter.js';

export interface LocalTokenizer extends PromptCounter {
  readonly tokenizer: Tokenizer;
  /** null: no chat template was found (chat prompts are counted as their message text). */
  readonly chatTemplate: ChatTemplate | null;
  /** Synchronous count (the synthetic dataset builds prompts with it). */
  countSync(body: PromptBody): number;
}

function fail(where: string, problem: string): never {
  throw new BadInputError(ErrorCode.tokenizerInvalid, `--tokenizer ${where}: ${problem}`);
}

function readJson(file: string, flagValue: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(flagValue, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail(flagValue, `${file} is not a JSON object`);
    return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    fail(flagValue, `${file} is not valid JSON (${(err as Error).message})`);
  }
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function loadLocalTokenizer(flagValue: string): LocalTokenizer {
  let stat;
  try {
    stat = statSync(flagValue);
  } catch (err) {
    fail(
      flagValue,
      `no such file or directory (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a tokenizer.json, a model directory that has one, or "server"`,
    );
  }
  const dir = stat.isDirectory() ? flagValue : path.dirname(flagValue);
  const tokenizerFile = stat.isDirectory() ? path.join(flagValue, 'tokenizer.json') : flagValue;
  const tokenizerJson = readJson(tokenizerFile, flagValue);
  const configFile = path.join(dir, 'tokenizer_config.json');
  const config = readIfPresent(configFile) !== undefined ? readJson(configFile, flagValue) : {};

  let tokenizer: Tokenizer;
  try {
    // The library iterates added_tokens and wants these keys present (null where the model has none).
    const complete = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
      ...tokenizerJson,
    };
    tokenizer = new Tokenizer(complete, config);
  } catch (err) {
    fail(
      flagValue,
      `${tokenizerFile} is not a tokenizer this version of @huggingface/tokenizers loads (${(err as Error).message})`,
    );
  }

  const separate = readIfPresent(path.join(dir, 'chat_template.jinja'));
  const fromJson = readIfPresent(path.join(dir, 'chat_template.json'));
  let source = chatTemplateSource(config) ?? separate;
  if (source === undefined && fromJson !== undefined)
    source = chatTemplateSource(readJson(path.join(dir, 'chat_template.json'), flagValue));
  let chatTemplate: ChatTemplate | null = null;
  if (source !== undefined) {
    try {
      chatTemplate = compileChatTemplate(source, config);
    } catch (err) {
      fail(flagValue, `the chat template in ${dir} does not parse (${(err as Error).message})`);
    }
  }

  const countSync = (body: PromptBody): number => {
    if (body.messages !== undefined) {
      if (chatTemplate === null) {
        return tokenizer.encode(body.messages.map((m) => m.content).join('\n'), { add_special_tokens: false }).ids
          .length;
      }
      const text = chatTemplate.render(body.messages, body.chat_template_kwargs);
      return tokenizer.encode(text, { add_special_tokens: false }).ids.length;
    }
    return tokenizer.encode(body.prompt ?? '').ids.length;
  };
  return {
    description:
      `tokenizer.json (${tokenizerFile})` +
      (chatTemplate === null ? ', no chat template: chat ISL is the message text only' : ''),
    tokenizer,
    chatTemplate,
    countSync,
    count: (body) => Promise.resolve(countSync(body)),
    close: () => Promise.resolve(),
  };
}
