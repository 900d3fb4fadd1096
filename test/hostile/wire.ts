/** Hand-made OpenAI response bytes for the hostile servers: SSE events, chunked framing, JSON bodies. */

/** One chunk of a chunked body. */
export function chunk(text: string | Buffer): string {
  const n = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  return `${n.toString(16)}\r\n${text.toString()}\r\n`;
}

export const LAST_CHUNK = '0\r\n\r\n';

export const SSE_HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n';

export function sse(obj: unknown): string {
  return `data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`;
}
export const role = (): string =>
  sse({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
export const content = (text: string): string =>
  sse({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
export const finish = (reason = 'stop'): string => sse({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });
export const usage = (p: number, c: number): string =>
  sse({ choices: [], usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c } });
export const DONE = sse('[DONE]');

/** The events of a good two-token answer ("he" + "llo"). */
export const GOOD_EVENTS = role() + content('he') + content('llo') + finish() + usage(3, 2) + DONE;
export const GOOD_TEXT = 'hello';

/** A complete chunked SSE answer. */
export const GOOD_STREAM = SSE_HEAD + chunk(GOOD_EVENTS) + LAST_CHUNK;

export function completionJson(text: string, completionTokens = 2): string {
  return JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: completionTokens, total_tokens: 3 + completionTokens },
  });
}

/** A complete non-streaming answer with a Content-Length body. */
export function jsonResponse(body: string, extraHeaders = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extraHeaders}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export const GOOD_JSON = jsonResponse(completionJson(GOOD_TEXT));

/** Whether the request asked for a stream (the body says `"stream":true`). */
export function wantsStream(body: string): boolean {
  return body.includes('"stream":true');
}

/** The good answer for the kind of request that came in. */
export function goodAnswer(body: string): string {
  return wantsStream(body) ? GOOD_STREAM : GOOD_JSON;
}
