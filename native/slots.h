/*
 * Generated from src/native/slots.ts by src/native/slots-header.ts: do not edit.
 * The output slots of the native scanners, named once for C and TypeScript.
 */
#ifndef LLM_LOADGEN_SLOTS_H
#define LLM_LOADGEN_SLOTS_H

/* scanSse and scanJson (native/sse_scan.c): a run of clean SSE events, or one JSON body, in aggregate (Int32Array). */
enum sse_slot {
  /* events scanned; scanJson: 1 when the body has a top-level choices array, else 0 */
  SSE_SLOT_EVENTS = 0,
  /* token-bearing events */
  SSE_SLOT_TOKENS = 1,
  /* 1 when [DONE] was seen */
  SSE_SLOT_DONE = 2,
  /* the last finish_reason's offsets in the buffer (-1 = none) */
  SSE_SLOT_FINISH_START = 3,
  /* end offset of that finish_reason */
  SSE_SLOT_FINISH_END = 4,
  /* usage.prompt_tokens (-1 = not seen) */
  SSE_SLOT_PROMPT_TOKENS = 5,
  /* usage.completion_tokens (-1 = not seen) */
  SSE_SLOT_COMPLETION_TOKENS = 6,
  /* usage.prompt_tokens_details.cached_tokens (-1 = not seen) */
  SSE_SLOT_CACHED_TOKENS = 7,
  /* tokens the run stands for: per event the advance of its cumulative completion_tokens when the server counts per chunk, else 1 per token-bearing event */
  SSE_SLOT_COUNTED_TOKENS = 8,
  /* input: the stream's cumulative completion count before the call (-1 = none yet) */
  SSE_SLOT_COUNT_BEFORE = 9,
  SSE_SLOT_COUNT = 10
};

/* parseHead (native/http_head.c): the status line and the headers the client uses (Float64Array). */
enum head_slot {
  /* 1 keep-alive, 0 close */
  HEAD_SLOT_KEEP_ALIVE = 0,
  /* Content-Length (-1 absent) */
  HEAD_SLOT_CONTENT_LENGTH = 1,
  /* 1 when Transfer-Encoding ends in chunked */
  HEAD_SLOT_CHUNKED = 2,
  /* 0 absent, 1 text/event-stream, 2 application/json, 3 other (its offsets in valueStart/End) */
  HEAD_SLOT_CONTENT_TYPE = 3,
  /* offsets of the other content type, or of the bad Content-Length when the status is -2 */
  HEAD_SLOT_VALUE_START = 4,
  /* end offset of that value */
  HEAD_SLOT_VALUE_END = 5,
  /* the Content-Encoding value's offsets, blanks removed (-1 = absent) */
  HEAD_SLOT_ENCODING_START = 6,
  /* end offset of the Content-Encoding value */
  HEAD_SLOT_ENCODING_END = 7,
  HEAD_SLOT_COUNT = 8
};

/* Every slot as X(layout, name, index): the addon exports this table as `slots` (the tests compare). */
#define LLM_LOADGEN_SLOTS(X) \
  X("sse", "events", SSE_SLOT_EVENTS) \
  X("sse", "tokens", SSE_SLOT_TOKENS) \
  X("sse", "done", SSE_SLOT_DONE) \
  X("sse", "finishStart", SSE_SLOT_FINISH_START) \
  X("sse", "finishEnd", SSE_SLOT_FINISH_END) \
  X("sse", "promptTokens", SSE_SLOT_PROMPT_TOKENS) \
  X("sse", "completionTokens", SSE_SLOT_COMPLETION_TOKENS) \
  X("sse", "cachedTokens", SSE_SLOT_CACHED_TOKENS) \
  X("sse", "countedTokens", SSE_SLOT_COUNTED_TOKENS) \
  X("sse", "countBefore", SSE_SLOT_COUNT_BEFORE) \
  X("head", "keepAlive", HEAD_SLOT_KEEP_ALIVE) \
  X("head", "contentLength", HEAD_SLOT_CONTENT_LENGTH) \
  X("head", "chunked", HEAD_SLOT_CHUNKED) \
  X("head", "contentType", HEAD_SLOT_CONTENT_TYPE) \
  X("head", "valueStart", HEAD_SLOT_VALUE_START) \
  X("head", "valueEnd", HEAD_SLOT_VALUE_END) \
  X("head", "encodingStart", HEAD_SLOT_ENCODING_START) \
  X("head", "encodingEnd", HEAD_SLOT_ENCODING_END)

#endif
