/**
 * A model's chat template (`chat_template` of tokenizer_config.json), rendered with
 * @huggingface/jinja as transformers' apply_chat_template does: the messages, the special tokens
 * the template refers to (bos_token, eos_token, …) and add_generation_prompt = true, which is what
 * vLLM, SGLang and llama.cpp use for a chat completion.
 */
import { Template } from '@huggingface/jinja';
import type { ChatMessage } from '../dataset/sample.js';

export interface ChatTemplate {
  /** The prompt text the server would tokenize for these messages. */
  render(messages: readonly ChatMessage[], kwargs?: Record<string, unknown>): string;
}

/** tokenizer_config.json's special-token fields: a string, or an AddedToken object `{content}`. */
const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'];

export function specialTokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}

/**
 * The template text in a tokenizer_config.json: a string, or a list of `{name, template}` (then
 * the one named "default"). Undefined when it has none.
 */
export function chatTemplateSource(config: Record<string, unknown>): string | undefined {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const entries = t as { name?: unknown; template?: unknown }[];
    const chosen = entries.find((e) => e.name === 'default') ?? entries[0];
    if (chosen !== undefined && typeof chosen.template === 'string') return chosen.template;
  }
  return undefined;
}

/** Throws the parser's error for a template that does not parse. */
export function compileChatTemplate(source: string, config: Record<string, unknown>): ChatTemplate {
  const template = new Template(source);
  const specials: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const text = specialTokenText(config[key]);
    if (text !== undefined) specials[key] = text;
  }
  return {
    render: (messages, kwargs) =>
      template.render({
        ...specials,
        ...kwargs,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: true,
      }),
  };
}
