/**
 * A prompt built from a row's columns, as MLPerf Endpoints' `UserPromptFormatter` presets do with
 * Python's str.format: `{question}` is the row's `question` column, `{{` and `}}` are literal
 * braces. GPQA's preset, for one:
 * `{question}\n\n(A) {choice1}\n(B) {choice2}\n(C) {choice3}\n(D) {choice4}\n\nExpress your final answer as …`.
 */
import { BadInputError, ErrorCode } from '../errors.js';

const FIELD = /\{\{|\}\}|\{([^{}]*)\}/g;

export function fillPromptTemplate(template: string, row: Readonly<Record<string, unknown>>, where: string): string {
  return template.replace(FIELD, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const column = (name ?? '').trim();
    const value = row[column];
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new BadInputError(
      ErrorCode.datasetNoPromptColumn,
      `${where}: the prompt template names {${column}}, but this row has ${value === undefined ? 'no such column' : 'no text in it'}. ` +
        `Row keys: ${Object.keys(row).slice(0, 20).join(', ')}.`,
    );
  });
}
