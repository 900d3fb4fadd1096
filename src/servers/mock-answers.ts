/**
 * The mock's answer mode, for testing accuracy runs: given rows with ground truth, it answers
 * right for an exact, seeded fraction of them and wrong or malformed (nothing an extractor can
 * find) for the rest, in the shape a scorer expects. A test then knows the score to expect
 * exactly: round(fraction × rows) right answers.
 */
import { sampleOrder } from '../dataset/sample-order.js';

/** How answers are written: a multiple-choice letter, a boxed math answer, or the truth itself. */
export type AnswerStyle = 'abcd' | 'math' | 'plain';
export const ANSWER_STYLES: readonly AnswerStyle[] = ['abcd', 'math', 'plain'];

export type AnswerVerdict = 'right' | 'wrong' | 'malformed';

export interface AnswerKeyRow {
  /** The prompt text the client sends (the user message, or the completion prompt). */
  prompt: string;
  truth: string;
}

export interface AnswerKeyOptions {
  rows: readonly AnswerKeyRow[];
  /** Fraction of rows answered right, in [0, 1]. */
  rightFraction: number;
  /** Of the rest, the fraction answered malformed (the others are wrong); default 0.5. */
  malformedFraction?: number;
  seed: number;
  style: AnswerStyle;
}

const LETTERS = 'ABCD';

/** GPQA's `choice3` and a plain `C` are the same truth. */
function truthLetter(truth: string): string {
  const choice = /^choice([1-4])$/i.exec(truth.trim());
  if (choice !== null) return LETTERS[Number(choice[1]) - 1];
  const letter = /([ABCD])/i.exec(truth);
  return letter === null ? 'A' : letter[1].toUpperCase();
}

function answerText(style: AnswerStyle, truth: string, verdict: AnswerVerdict): string {
  switch (style) {
    case 'abcd': {
      const right = truthLetter(truth);
      if (verdict === 'malformed') return 'I cannot decide between the options.';
      const letter = verdict === 'right' ? right : LETTERS[(LETTERS.indexOf(right) + 1) % 4];
      return `Let me think about each option.\n\nAnswer: ${letter}`;
    }
    case 'math': {
      if (verdict === 'malformed') return 'This problem is too hard for me.';
      const value = verdict === 'right' ? truth : /^-?\d+$/.test(truth) ? String(Number(truth) + 1) : `${truth}+1`;
      return `Working step by step, the result is \\boxed{${value}}`;
    }
    case 'plain':
      return verdict === 'right' ? truth : verdict === 'wrong' ? `not ${truth}` : '???';
  }
}

/** What the mock asks for an answer: a key, or several (mockAnswerKeys). */
export interface AnswerSource {
  /** The answer to a request whose prompt text is `promptText`; null: answer as usual (tokN words). */
  answerFor(promptText: string): string | null;
}

/** Several keys as one (several accuracy datasets on one mock): the first that knows the prompt answers. */
export function mockAnswerKeys(keys: readonly AnswerSource[]): AnswerSource {
  return {
    answerFor(promptText: string): string | null {
      for (const k of keys) {
        const a = k.answerFor(promptText);
        if (a !== null) return a;
      }
      return null;
    },
  };
}

export class MockAnswerKey implements AnswerSource {
  private readonly byPrompt = new Map<string, number>();
  readonly verdicts: readonly AnswerVerdict[];
  private readonly answers: readonly string[];

  constructor(options: AnswerKeyOptions) {
    const n = options.rows.length;
    if (!(options.rightFraction >= 0 && options.rightFraction <= 1)) throw new Error('rightFraction must be in [0, 1]');
    const right = Math.round(options.rightFraction * n);
    const malformed = Math.round((options.malformedFraction ?? 0.5) * (n - right));
    // A seeded permutation decides which rows are right, so the count is exact and the rows mixed.
    const order = sampleOrder(n, n, options.seed, true);
    const verdicts = new Array<AnswerVerdict>(n);
    order.forEach((row, rank) => {
      verdicts[row] = rank < right ? 'right' : rank < right + malformed ? 'malformed' : 'wrong';
    });
    this.verdicts = verdicts;
    this.answers = options.rows.map((r, i) => answerText(options.style, r.truth, verdicts[i]));
    options.rows.forEach((r, i) => {
      if (!this.byPrompt.has(r.prompt)) this.byPrompt.set(r.prompt, i);
    });
  }

  /**
   * The answer to a prompt: its row's, found by exact text, else by the row whose prompt the
   * request contains (a prompt template around it); null when no row matches.
   */
  answerFor(promptText: string): string | null {
    let row = this.byPrompt.get(promptText);
    if (row === undefined) {
      for (const [prompt, i] of this.byPrompt)
        if (prompt !== '' && promptText.includes(prompt)) {
          row = i;
          break;
        }
    }
    return row === undefined ? null : this.answers[row];
  }
}

/** An answer as the tokens the mock streams: each word with the whitespace before it. */
export function answerTokens(answer: string): string[] {
  return answer.match(/\s*\S+/g) ?? [answer];
}
