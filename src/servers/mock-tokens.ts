/**
 * The mock's stand-in for a tokenizer. Deterministic and simple enough that a client (or a test)
 * can apply the same rule to check the usage numbers it gets back.
 */

/** Prompt tokens = whitespace-separated words (`/\S+/`). "a  b\nc" is 3 tokens, "" is 0. */
export function countWords(text: string): number {
  // exec loop instead of match(): no array the size of the prompt for long prompts.
  const word = /\S+/g;
  let count = 0;
  while (word.exec(text) !== null) count++;
  return count;
}

/**
 * Output token `index` (0-based) is the word `tok<index>` plus a space: distinct words make lost
 * or reordered tokens visible, and N tokens are exactly N words.
 */
export function tokenText(index: number): string {
  return `tok${index} `;
}
