/** A successful streaming record for summary tests: sent at `sentNs`, the given chunk offsets (ns after sent). */
import type { RequestRecord } from '../../src/record/request-record.js';

export function streamedRecord(
  id: number,
  sentNs: number,
  chunkOffsetsNs: number[],
  over: Partial<RequestRecord> = {},
): RequestRecord {
  const chunkTimes = Float64Array.from(chunkOffsetsNs, (o) => sentNs + o);
  return {
    id,
    sampleIndex: id,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: true,
    reused: id > 0,
    scheduled: sentNs,
    dispatched: sentNs,
    connectStart: NaN,
    connected: NaN,
    sent: sentNs,
    headers: chunkTimes[0],
    firstChunk: chunkTimes[0],
    firstToken: chunkTimes[0],
    end: chunkTimes[chunkTimes.length - 1],
    chunkTimes,
    status: 200,
    error: '',
    errorMessage: '',
    finishReason: 'stop',
    inputTokens: 10,
    outputTokens: chunkTimes.length,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'usage',
    ...over,
  };
}
