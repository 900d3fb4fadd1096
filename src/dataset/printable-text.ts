/**
 * Dataset text quoted in an error message, made safe to print: control characters (a terminal
 * escape, NUL, a bell) become \u escapes, and long text is cut. A binary file's first line used to
 * reach the terminal raw through JSON.parse's message (ESC [2J cleared the screen).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function printable(text: string, max = 80): string {
  const cut = text.length > max ? text.slice(0, max) + '…' : text;
  return cut.replace(CONTROL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
