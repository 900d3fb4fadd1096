/**
 * Test fixture: an OpenAI-like chat/completions endpoint on plain node:http that never sends
 * `usage` (as some proxies and older servers do), optionally with llama.cpp's `/tokenize`
 * (`{content}` → `{tokens}`) and `/apply-template` (`{messages}` → `{prompt}`). It "tokenizes"
 * by whitespace words, so tests know every count.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PlainServer {
  url: string;
  /** Bodies of every /tokenize and /apply-template request, in arrival order. */
  tokenizeBodies: Record<string, unknown>[];
  /** Bodies of every completion request. */
  completionBodies: Record<string, unknown>[];
  close(): Promise<void>;
}

const words = (text: string): number => (text.match(/\S+/g) ?? []).length;

export async function startPlainServer(
  options: { llamaTokenize?: boolean; answerWords?: number } = {},
): Promise<PlainServer> {
  const tokenizeBodies: Record<string, unknown>[] = [];
  const completionBodies: Record<string, unknown>[] = [];
  const answerWords = options.answerWords ?? 3;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/v1/models') {
        json(200, { object: 'list', data: [{ id: 'm', object: 'model', created: 0, owned_by: 'test' }] });
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      if (req.url === '/tokenize' || req.url === '/apply-template') {
        if (options.llamaTokenize !== true) return json(404, { error: 'Not Found' });
        tokenizeBodies.push(body);
        if (req.url === '/apply-template') {
          const messages = body.messages as { role: string; content: string }[];
          // A template with one marker word per message and a generation prompt: 2 words more per message + 1.
          return json(200, { prompt: messages.map((m) => `<${m.role}> ${m.content}`).join(' ') + ' <assistant>' });
        }
        // llama.cpp answers {tokens: []} to a body without `content`: the client must not take that as 0.
        const content = typeof body.content === 'string' ? body.content : '';
        const bos = body.add_special === true ? 1 : 0;
        return json(200, { tokens: Array.from({ length: words(content) + bos }, (_, i) => i + 1) });
      }
      completionBodies.push(body);
      const base = { id: 'x', created: 0, model: 'm' };
      const text = Array.from({ length: answerWords }, (_, i) => `w${i} `);
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const t of text) {
          res.write(
            `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: t }, finish_reason: null }] })}\n\n`,
          );
        }
        res.write(
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
      } else {
        json(200, {
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: text.join('') }, finish_reason: 'stop' }],
        });
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tokenizeBodies,
    completionBodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
