/**
 * The output slots the native scanners write and TypeScript reads, described once. Each native
 * call fills a caller-owned typed array (no allocation per call); a slot's index is its position
 * in `slots` here. native/slots.h is generated from this description (`node --import tsx
 * src/native/slots-header.ts`), and test/native/slots.test.ts fails when the header, or the built
 * addon's own copy of it, disagrees.
 */

interface SlotLayout {
  /** The typed array the caller passes. */
  readonly array: 'Int32Array' | 'Float64Array';
  /** What fills it. */
  readonly doc: string;
  /** Slot name → what it holds, in index order. */
  readonly slots: Readonly<Record<string, string>>;
}

export const SLOT_LAYOUTS = {
  sse: {
    array: 'Int32Array',
    doc: 'scanSse and scanJson (native/sse_scan.c): a run of clean SSE events, or one JSON body, in aggregate',
    slots: {
      events: 'events scanned; scanJson: 1 when the body has a top-level choices array, else 0',
      tokens: 'token-bearing events',
      done: '1 when [DONE] was seen',
      finishStart: "the last finish_reason's offsets in the buffer (-1 = none)",
      finishEnd: 'end offset of that finish_reason',
      promptTokens: 'usage.prompt_tokens (-1 = not seen)',
      completionTokens: 'usage.completion_tokens (-1 = not seen)',
      cachedTokens: 'usage.prompt_tokens_details.cached_tokens (-1 = not seen)',
      countedTokens:
        'tokens the run stands for: per event the advance of its cumulative completion_tokens when the server counts per chunk, else 1 per token-bearing event',
      countBefore: "input: the stream's cumulative completion count before the call (-1 = none yet)",
    },
  },
  head: {
    array: 'Float64Array',
    doc: 'parseHead (native/http_head.c): the status line and the headers the client uses',
    slots: {
      keepAlive: '1 keep-alive, 0 close',
      contentLength: 'Content-Length (-1 absent)',
      chunked: '1 when Transfer-Encoding ends in chunked',
      contentType: '0 absent, 1 text/event-stream, 2 application/json, 3 other (its offsets in valueStart/End)',
      valueStart: 'offsets of the other content type, or of the bad Content-Length when the status is -2',
      valueEnd: 'end offset of that value',
      encodingStart: "the Content-Encoding value's offsets, blanks removed (-1 = absent)",
      encodingEnd: 'end offset of the Content-Encoding value',
    },
  },
} as const satisfies Record<string, SlotLayout>;

export type SlotLayoutName = keyof typeof SLOT_LAYOUTS;

type Indexes<L extends SlotLayoutName> = { readonly [K in keyof (typeof SLOT_LAYOUTS)[L]['slots']]: number };

function indexes<L extends SlotLayoutName>(layout: L): Indexes<L> {
  return Object.freeze(
    Object.fromEntries(Object.keys(SLOT_LAYOUTS[layout].slots).map((name, i) => [name, i])),
  ) as Indexes<L>;
}

/** Slot indexes of scanSse/scanJson's Int32Array. */
export const SseSlot = indexes('sse');
export const SSE_SLOT_COUNT = Object.keys(SLOT_LAYOUTS.sse.slots).length;
/** Slot indexes of parseHead's Float64Array. */
export const HeadSlot = indexes('head');
export const HEAD_SLOT_COUNT = Object.keys(SLOT_LAYOUTS.head.slots).length;
