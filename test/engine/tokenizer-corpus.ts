/**
 * Strings that exercise a SentencePiece tokenizer where implementations tend to part: leading and
 * repeated whitespace (llama's vocabulary has runs of up to 16 "▁", all of one score, so the order
 * of equal-score merges decides), tabs and newlines (byte fallback), digits, accented and combining
 * characters, CJK, right-to-left scripts, emoji (4-byte UTF-8, ZWJ sequences, flags, skin tones:
 * mostly byte fallback), code, and the special tokens' text inside ordinary text. Hand-picked cases
 * first, then seeded random mixes of all of these. Every string is valid UTF-16 (no lone surrogate:
 * JSON cannot carry one to the server as the same text).
 */
import { SeededRandom } from '../../src/dataset/seeded-random.js';

const HAND_PICKED = [
  '',
  ' ',
  'hello',
  ' hello',
  'hello ',
  'Hello, world!',
  'hello\nworld',
  'hello\n\nworld\n',
  '\n',
  '\n\n\n',
  '\t',
  'a\tb\tc',
  'tab\t\t\tend',
  'CRLF\r\nline\r\n',
  '\r',
  '\u000b\u000c',
  '\u0000 nul',
  '\u00a0no-break\u00a0space',
  '\u2003em space\u3000ideographic space',
  '12345678901234567890',
  '3.14159 2.71828 -0.5 +7 1e-9 0x1F',
  '2026-12-01T13:32:34Z',
  '$1,234.56 €99 £5 ¥1000',
  '100% (ok) [yes] {no} <maybe>',
  'naïve café résumé',
  'e\u0301 a\u0300 n\u0303 (combining marks)',
  'Straße über Öl',
  'Ωμέγα αλφάβητο',
  'Здравствуй, мир!',
  'שלום עולם',
  'مرحبا بالعالم ٣٤٥',
  'नमस्ते दुनिया',
  'สวัสดีชาวโลก',
  '日本語のテキストです。',
  '中文文本测试，标点符号！',
  '한국어 텍스트',
  '😀😃😄 emoji 👍🏽',
  '👨‍👩‍👧‍👦 family',
  '🇺🇸🇯🇵 flags',
  '❤️ ☃ ★ ✓ ✗',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙',
  'ʕ•ᴥ•ʔ ¯\\_(ツ)_/¯',
  '\u200b zero width \u200d joiner \ufeff bom',
  '\ufffd replacement',
  'def f(x):\n    return x * 2\n',
  'if (a && b) {\n\treturn c;\n}',
  'const s = `${a} + ${b}`; // comment',
  '{"key": [1, 2, 3], "nested": {"a": null}}',
  '<div class="x">Hello &amp; bye</div>',
  'SELECT * FROM t WHERE id = 42;',
  'for i in $(seq 1 10); do echo "$i"; done',
  '#include <stdio.h>\nint main(void) { return 0; }',
  '    indented four',
  '        indented eight',
  '<s>',
  '</s>',
  '<unk>',
  '<s>hello</s>',
  'a<s>b',
  '<s> spaced </s>',
  '</s></s>',
  '<s',
  's>',
  '<<s>>',
  '<|user|>\nhi\n<|assistant|>\n',
  '▁ already ▁▁ escaped',
  '<0x0A> literal byte token text',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  '!!!!!!!!!!??????........',
  '----------==========__________',
];

/** Pools the random strings are drawn from. */
const POOLS: readonly (readonly string[])[] = [
  ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'token', 'benchmark', 'server', 'llama'],
  ['0', '1', '7', '42', '2026', '3.5', '-12', '99999', '0.001'],
  [' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n '],
  ['.', ',', ';', ':', '!', '?', '(', ')', '[', ']', '{', '}', '"', "'", '`', '-', '_', '/', '\\', '=', '+', '*', '&'],
  ['é', 'ü', 'ñ', 'ø', 'ß', 'ç', 'å', 'œ', 'ł', 'ž'],
  ['日本', '中文', '語', '한국', 'Ж', 'λ', 'ش', 'ह', 'ไทย'],
  ['😀', '👍🏽', '🚀', '🇫🇷', '👨‍💻', '🤖', '✨', '🔥'],
  ['<s>', '</s>', '<unk>', '<|user|>', '▁'],
  ['function', 'return', 'x => x + 1', 'a[i]', 'if (', 'print(', '#!/bin/sh', '//', '/*', '*/'],
];

/** Spaces: runs of 1..40, alone and between words (runs longer than 16 split in more than one way). */
function whitespaceRuns(): string[] {
  const out: string[] = [];
  for (let n = 1; n <= 40; n++) {
    out.push(' '.repeat(n));
    out.push(`word${' '.repeat(n)}word`);
  }
  for (let n = 1; n <= 8; n++) out.push(`x${'\n'.repeat(n)}y`, `${'\t'.repeat(n)}z`, ` ${' \n'.repeat(n)}`);
  return out;
}

function randomMix(random: SeededRandom, parts: number): string {
  let s = '';
  for (let i = 0; i < parts; i++) {
    const pool = POOLS[random.nextIntBelow(POOLS.length)];
    s += pool[random.nextIntBelow(pool.length)];
    if (random.nextIntBelow(3) === 0) s += ' ';
  }
  return s;
}

/** The corpus: hand-picked cases, whitespace runs, then `randomCount` seeded mixes of 1 to 40 parts. */
export function tokenizerCorpus(randomCount = 200, seed = 8): string[] {
  const random = SeededRandom.derive(seed, 'tokenizer-corpus');
  const mixes = Array.from({ length: randomCount }, () => randomMix(random, 1 + random.nextIntBelow(40)));
  return [...HAND_PICKED, ...whitespaceRuns(), ...mixes];
}
