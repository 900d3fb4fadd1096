/**
 * OpenAI wire shapes the mock endpoint sends: error bodies, the model list, whole responses and
 * streaming (SSE) events.
 */

export type CompletionApi = 'chat' | 'completions';
export type FinishReason = 'stop' | 'length';

export const MOCK_MODEL_ID = 'mock-model';
export const SSE_DONE = 'data: [DONE]\n\n';
/** The broken event of the `malformed-sse` fault. */
export const MALFORMED_SSE_EVENT = 'data: {not json\n\n';
export const MALFORMED_JSON_BODY = '{not json';
export const NOT_OPENAI_HTML = '<html>hello</html>';

export type OpenAiErrorType = 'invalid_request_error' | 'server_error';

export interface OpenAiErrorBody {
  error: { message: string; type: OpenAiErrorType; param: string | null; code: string | null };
}

export function errorBody(
  message: string,
  type: OpenAiErrorType = 'invalid_request_error',
  param: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type, param, code: null } };
}

export interface ModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

export function modelList(): ModelList {
  return {
    object: 'list',
    data: [{ id: MOCK_MODEL_ID, object: 'model', created: 0, owned_by: 'llm-loadgen' }],
  };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** What every chunk / response of one request repeats. */
export interface ResponseIdentity {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [
    {
      index: 0;
      message: { role: 'assistant'; content: string };
      finish_reason: FinishReason;
    },
  ];
  usage: Usage;
}

export interface TextCompletionResponse {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: [{ index: 0; text: string; finish_reason: FinishReason }];
  usage: Usage;
}

export function completionResponse(
  api: CompletionApi,
  identity: ResponseIdentity,
  text: string,
  finishReason: FinishReason,
  tokens: Usage,
): ChatCompletionResponse | TextCompletionResponse {
  const { id, created, model } = identity;
  if (api === 'chat') {
    return {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text },
          finish_reason: finishReason,
        },
      ],
      usage: tokens,
    };
  }
  return {
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ index: 0, text, finish_reason: finishReason }],
    usage: tokens,
  };
}

/**
 * Builds `data: <json>\n\n` events for one stream. The fixed part of every chunk is serialized
 * once, so a token event costs one small JSON.stringify: the mock must never be the bottleneck
 * of the load it is measured under.
 */
export class StreamEncoder {
  private readonly head: string;

  constructor(
    private readonly api: CompletionApi,
    identity: ResponseIdentity,
  ) {
    const object = api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.head =
      `data: {"id":${JSON.stringify(identity.id)},"object":"${object}",` +
      `"created":${identity.created},"model":${JSON.stringify(identity.model)},"choices":`;
  }

  /** Chat only: the role-only chunk that opens the stream. */
  role(): string {
    const choice = '{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}';
    return `${this.head}[${choice}]}\n\n`;
  }

  token(text: string): string {
    const body =
      this.api === 'chat'
        ? `{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}`
        : `{"index":0,"text":${JSON.stringify(text)},"finish_reason":null}`;
    return `${this.head}[${body}]}\n\n`;
  }

  finish(reason: FinishReason): string {
    const body =
      this.api === 'chat'
        ? `{"index":0,"delta":{},"finish_reason":"${reason}"}`
        : `{"index":0,"text":"","finish_reason":"${reason}"}`;
    return `${this.head}[${body}]}\n\n`;
  }

  /** The `stream_options.include_usage` chunk: no choices, only usage. */
  usage(tokens: Usage): string {
    return `${this.head}[],"usage":${JSON.stringify(tokens)}}\n\n`;
  }
}
