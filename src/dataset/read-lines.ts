/**
 * Streams a UTF-8 text file line by line without loading it whole. A manual splitter (rather
 * than node:readline) so read errors surface as rejections of the loop, line numbers are exact,
 * and CRLF, LF and a leading BOM are all handled.
 */
import { createReadStream } from 'node:fs';
import { datasetFileError } from './dataset-file-error.js';

export interface TextLine {
  /** The line without its terminator ('\n' or '\r\n'). */
  text: string;
  /** 1-based, counting blank lines, as an editor shows it. */
  lineNumber: number;
}

export async function* readLines(path: string): AsyncGenerator<TextLine> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  let pending = '';
  let lineNumber = 0;
  const toLine = (raw: string): TextLine => {
    lineNumber++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineNumber === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    return { text, lineNumber };
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      pending += chunk;
      let start = 0;
      let newline = pending.indexOf('\n', start);
      while (newline !== -1) {
        yield toLine(pending.slice(start, newline));
        start = newline + 1;
        newline = pending.indexOf('\n', start);
      }
      pending = pending.slice(start);
    }
  } catch (error) {
    throw datasetFileError(path, error);
  } finally {
    stream.destroy();
  }
  // A last line without a trailing newline.
  if (pending.length > 0) yield toLine(pending);
}
