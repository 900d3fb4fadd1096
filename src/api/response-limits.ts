/**
 * Defaults of --max-event-bytes and --max-response-bytes: far above any real answer, far below
 * what would hurt the client.
 *
 * An SSE event is one decode step: 150–400 bytes, ~3 KB with top-20 logprobs. 4 MiB also holds a
 * whole 128k-token answer sent as one event with every character \u-escaped (~18 bytes per token,
 * 2.3 MB).
 *
 * A non-streaming body: a 128k-token answer is ~0.5 MB of text and ~2.3 MB fully \u-escaped.
 * 32 MiB leaves room for logprobs (~1 KB per token with top-20: 32k tokens ≈ 32 MB; raise the
 * flag for more), and fails a 50 MB hostile body (issue 14) without holding it.
 *
 * Shard-wide: see defaultBufferBudget (8 × --max-response-bytes).
 */
export const DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
