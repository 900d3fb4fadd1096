/** Each metric's definition, as docs/metrics.md states it, for the page's "Definitions" section. */

export const METRIC_DEFINITIONS: readonly { name: string; definition: string }[] = [
  { name: 'TTFT', definition: 'first_token − sent, successful streaming requests.' },
  {
    name: 'TPOT',
    definition: '(end − first_token) / (output_tokens − 1), successful streaming requests with ≥ 2 output tokens.',
  },
  {
    name: 'ITL',
    definition:
      'every gap between consecutive chunk_times of a successful streaming request, all requests pooled. ' +
      'Two events in one socket read give a gap of 0: that is what the client saw.',
  },
  { name: 'E2E latency', definition: 'end − sent, successful requests.' },
  {
    name: 'Client wait',
    definition:
      'sent − scheduled, every request that was sent: its own connect, waiting for a free connection, timer lateness.',
  },
  { name: 'Connect time', definition: 'connected − connect_start, requests that opened a new connection.' },
  { name: 'Client queue wait', definition: 'client wait − connect time: time the request sat in the client.' },
  {
    name: 'Schedule lag',
    definition: "dispatched − scheduled: how late the shard's event loop took it from the schedule.",
  },
  {
    name: 'QPS, TPS',
    definition:
      'completed requests / duration; output tokens of completed requests / duration; duration = from the common start to the last request’s end.',
  },
  {
    name: 'Percentiles',
    definition:
      'exact over all samples, "lower" method (numpy percentile(method="lower")): sort ascending, take index floor(p/100 × (n − 1)).',
  },
  {
    name: 'Timestamps',
    definition:
      'nanoseconds on one monotonic clock, taken in the shard process that owns the socket: scheduled (when the load pattern wanted it sent), ' +
      'dispatched, connected, sent (just before the request bytes were written), first_token (first content, reasoning or tool-call delta), end.',
  },
];
