/*
 * The per-read fast path of the SSE decoder: one call per socket read walks every clean
 * `data: {json}\n\n` event in it and reports, in aggregate, what the measurement needs (events,
 * token-bearing events, [DONE], finish reason, usage with its cached prompt tokens). It mirrors src/api/openai-chunk-scanner.ts
 * exactly and stops — returning the offset — at anything it does not handle (a partial event,
 * another field, a CR anywhere in the line, multi-line data, an error object, malformed JSON), where the JS
 * decoder takes over. JS stays the reference: tests compare both paths at every byte split.
 *
 * Template events: consecutive chunks of one stream usually differ only in the text of their
 * delta. After a chunk whose only token source is one string value (and no finish reason or
 * usage), the next chunk is matched against it: the bytes up to and including that value's
 * opening quote must be identical, the value must end at an unescaped quote with no raw line
 * break, and every byte after it must be identical up to the event's end. Such a chunk parses
 * exactly as its template did, with only the value's emptiness to decide — about a quarter of a
 * full scan.
 *
 * Why native: in JS each event cost 0.5–0.9 µs, most of it JS→C++ calls (indexOf, compare) at
 * 25–100 ns each; one call per read instead of several per event is the remaining large step.
 */
#include <node_api.h>
#include "range_call.h"
#include "slots.h"
#include <stdint.h>
#include <string.h>

/*
 * SSE_SLOT_COUNTED_TOKENS: the tokens the run stands for — per event, the advance of its cumulative
 * usage.completion_tokens over the previous count when both are known and it advances (servers
 * that count per chunk), else 1 per token-bearing event. SSE_SLOT_COUNT_BEFORE is an input: the stream's count before
 * this call (-1 = none yet). Mirrors OpenAiResponseState.applyStreamEventBytes.
 */

static int is_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static int key_is(const uint8_t* b, size_t s, size_t len, const char* key) {
  return strlen(key) == len && memcmp(b + s, key, len) == 0;
}

static int non_empty_string(const uint8_t* b, size_t j, size_t last) { return j + 1 < last && b[j] == '"' && b[j + 1] != '"'; }

static int non_empty_array(const uint8_t* b, size_t j, size_t last) {
  if (b[j] != '[') return 0;
  j++;
  while (j < last && is_space(b[j])) j++;
  return j < last && b[j] != ']';
}

static int64_t integer_at(const uint8_t* b, size_t j, size_t last) {
  int64_t n = 0;
  size_t k = j;
  for (; k < last && b[k] >= '0' && b[k] <= '9'; k++) n = n * 10 + (b[k] - '0');
  return k == j ? -1 : n;
}

/*
 * Scan one chunk b[start, end). Returns 0 empty, 1 token, -1 needs JS. Updates finish/usage.
 * `from` (>= start) is where the walk begins: start, or the end of an envelope known to be
 * byte-identical to one already scanned (then it is the `"choices"` key at depth 1). Sets
 * *choices_at to the offset of that key when nothing before it mattered, else 0.
 */
static int scan_chunk(const uint8_t* b, size_t start, size_t from, size_t end, int32_t* out, size_t* choices_at, size_t* token_value_at, int* saw_choices) {
  size_t i = start;
  *choices_at = 0;
  *token_value_at = 0;
  *saw_choices = 0;
  /* Token sources seen (a template needs exactly one, a string value). */
  int sources = 0;
  size_t string_value_at = 0;
  while (i < end && is_space(b[i])) i++;
  if (i >= end) return -1;
  size_t last = end - 1;
  while (last > i && is_space(b[last])) last--;
  if (b[i] != '{' || b[last] != '}') return -1;
  int token = 0, in_choices = 0, in_usage = 0, depth = 0, plain = from == start;
  if (from > i) {
    i = from;
    depth = 1;
  }
  int32_t finish_start = -2, finish_end = -2;
  int64_t prompt = -2, completion = -2, cached = -2;
  while (i < last) {
    uint8_t c = b[i];
    if (c != '"') {
      if (c == '{' || c == '[') depth++;
      else if (c == '}' || c == ']') depth--;
      i++;
      continue;
    }
    size_t s = i + 1;
    /* memchr for the closing quote; one preceded by an odd run of backslashes is escaped. */
    i = s;
    for (;;) {
      const uint8_t* q = i < last ? memchr(b + i, '"', last - i) : NULL;
      if (q == NULL) return -1;
      i = (size_t)(q - b);
      size_t bs = 0;
      while (i - bs > s && b[i - bs - 1] == '\\') bs++;
      if ((bs & 1) == 0) break;
      i++;
    }
    size_t len = i - s;
    i++;
    size_t j = i;
    while (j < last && is_space(b[j])) j++;
    if (b[j] != ':') continue;
    j++;
    while (j < last && is_space(b[j])) j++;
    switch (len) {
      case 4:
        if (in_choices && key_is(b, s, len, "text")) {
          sources++;
          string_value_at = j;
          if (non_empty_string(b, j, last)) token = 1;
        }
        break;
      case 5:
        if (key_is(b, s, len, "usage")) {
          if (b[j] == '{') {
            in_usage = 1;
            plain = 0;
          }
        } else if (key_is(b, s, len, "error")) {
          if (b[j] != 'n') return -1;
        }
        break;
      case 7:
        if (key_is(b, s, len, "content")) {
          sources++;
          string_value_at = j;
          if (non_empty_string(b, j, last)) token = 1;
        } else if (depth == 1 && key_is(b, s, len, "choices")) {
          in_choices = 1;
          /* A response has choices only as a top-level array. */
          if (b[j] == '[') *saw_choices = 1;
          if (plain && !token) *choices_at = s - 1;
          plain = 0;
        }
        break;
      case 9:
        if (key_is(b, s, len, "reasoning")) {
          sources++;
          string_value_at = j;
          if (non_empty_string(b, j, last)) token = 1;
        }
        break;
      case 10:
        if (key_is(b, s, len, "tool_calls")) {
          sources += 2; /* not a string: never a template */
          if (non_empty_array(b, j, last)) token = 1;
        }
        break;
      case 13:
        if (key_is(b, s, len, "finish_reason")) {
          if (b[j] == '"') {
            size_t e = j + 1;
            while (e < last && b[e] != '"') e++;
            if (e >= last) return -1;
            finish_start = (int32_t)(j + 1);
            finish_end = (int32_t)e;
          }
        } else if (key_is(b, s, len, "function_call")) {
          sources += 2;
          if (b[j] != 'n') token = 1;
        } else if (in_usage && key_is(b, s, len, "prompt_tokens")) {
          int64_t n = integer_at(b, j, last);
          if (n >= 0) prompt = n;
        } else if (in_usage && key_is(b, s, len, "cached_tokens")) {
          /* usage.prompt_tokens_details.cached_tokens */
          int64_t n = integer_at(b, j, last);
          if (n >= 0) cached = n;
        }
        break;
      case 17:
        if (key_is(b, s, len, "reasoning_content")) {
          sources++;
          string_value_at = j;
          if (non_empty_string(b, j, last)) token = 1;
        } else if (in_usage && key_is(b, s, len, "completion_tokens")) {
          int64_t n = integer_at(b, j, last);
          if (n >= 0) completion = n;
        }
        break;
    }
    i = j;
  }
  /* A template: one string value decides the token, and nothing else in the chunk mattered. */
  if (sources == 1 && string_value_at > 0 && b[string_value_at] == '"' && finish_start == -2 && prompt == -2 && completion == -2 && cached == -2 && !in_usage) *token_value_at = string_value_at;
  /* Commit only now: a chunk that ends as "needs JS" leaves no partial effect. */
  if (finish_start != -2) {
    out[SSE_SLOT_FINISH_START] = finish_start;
    out[SSE_SLOT_FINISH_END] = finish_end;
  }
  if (prompt != -2) out[SSE_SLOT_PROMPT_TOKENS] = (int32_t)prompt;
  if (completion != -2) out[SSE_SLOT_COMPLETION_TOKENS] = (int32_t)completion;
  if (cached != -2) out[SSE_SLOT_CACHED_TOKENS] = (int32_t)cached;
  return token;
}

/* scanSse(buf, start, end, out: Int32Array(SSE_SLOT_COUNT)) -> offset after the last event handled. */
static napi_value ScanSse(napi_env env, napi_callback_info info) {
  uint8_t* buf;
  size_t buf_len;
  int32_t start32, end32;
  void* out_data;
  if (!unpack_range_call(env, info, "scanSse(buf, start, end, out: Int32Array with the sse slots)", napi_int32_array, SSE_SLOT_COUNT, &buf, &buf_len, &start32, &end32, &out_data)) return NULL;
  int32_t* out = (int32_t*)out_data;
  size_t pos = (size_t)start32, end = (size_t)end32;
  if (end > buf_len) end = buf_len;
  out[SSE_SLOT_EVENTS] = 0;
  out[SSE_SLOT_TOKENS] = 0;
  out[SSE_SLOT_DONE] = 0;
  out[SSE_SLOT_FINISH_START] = -1;
  out[SSE_SLOT_FINISH_END] = -1;
  out[SSE_SLOT_PROMPT_TOKENS] = -1;
  out[SSE_SLOT_COMPLETION_TOKENS] = -1;
  out[SSE_SLOT_CACHED_TOKENS] = -1;
  out[SSE_SLOT_COUNTED_TOKENS] = 0;
  int32_t count_before = out[SSE_SLOT_COUNT_BEFORE];
  /* The previous event's envelope (bytes before "choices"): skipped in the next one when identical. */
  size_t env_src = 0, env_len = 0;
  /* The template (see the header): its event start, the offset of its value's opening quote from
   * that start, and where its bytes after the value's closing quote begin and how many. */
  size_t tpl_src = 0, tpl_prefix = 0, tpl_suffix_src = 0, tpl_suffix = 0;
  while (pos + 5 < end) {
    if (memcmp(buf + pos, "data:", 5) != 0) break;
    if (tpl_prefix > 0) {
      size_t v = pos + 5;
      if (v < end && buf[v] == ' ') v++;
      size_t s = v + tpl_prefix + 1; /* first byte of the value */
      if (s + tpl_suffix + 2 <= end && memcmp(buf + v, buf + tpl_src, tpl_prefix + 1) == 0) {
        size_t q = s;
        int found = 0;
        for (;;) {
          const uint8_t* p = q < end ? memchr(buf + q, '"', end - q) : NULL;
          if (p == NULL) break;
          q = (size_t)(p - buf);
          size_t bs = 0;
          while (q - bs > s && buf[q - bs - 1] == '\\') bs++;
          if ((bs & 1) == 0) {
            found = 1;
            break;
          }
          q++;
        }
        size_t after = q + 1;
        if (found && after + tpl_suffix + 2 <= end && memchr(buf + s, '\n', q - s) == NULL && memchr(buf + s, '\r', q - s) == NULL &&
            memcmp(buf + after, buf + tpl_suffix_src, tpl_suffix) == 0 && buf[after + tpl_suffix] == '\n' && buf[after + tpl_suffix + 1] == '\n') {
          out[SSE_SLOT_TOKENS] += q > s;
          out[SSE_SLOT_COUNTED_TOKENS] += q > s;
          out[SSE_SLOT_EVENTS]++;
          pos = after + tpl_suffix + 2;
          continue;
        }
      }
    }
    const uint8_t* lf = memchr(buf + pos, '\n', end - pos);
    if (lf == NULL) break;
    size_t line_end = (size_t)(lf - buf);
    if (line_end + 1 >= end || buf[line_end + 1] != '\n') break; /* not "\n\n": partial or multi-line */
    /* A CR anywhere ends a line (CRLF, or a bare CR: the event-stream spec): the JS decoder's. */
    if (memchr(buf + pos, '\r', line_end - pos) != NULL) break;
    size_t v = pos + 5;
    if (v < line_end && buf[v] == ' ') v++;
    if (line_end - v == 6 && memcmp(buf + v, "[DONE]", 6) == 0) {
      out[SSE_SLOT_DONE] = 1;
    } else {
      size_t from = v, choices_at = 0, value_at = 0;
      int saw_choices;
      if (env_len > 0 && line_end - v > env_len && memcmp(buf + v, buf + env_src, env_len) == 0) from = v + env_len;
      /* -1 while scanning: whether this event carries a count is then plain to see. */
      int32_t completion_before = out[SSE_SLOT_COMPLETION_TOKENS];
      out[SSE_SLOT_COMPLETION_TOKENS] = -1;
      int r = scan_chunk(buf, v, from, line_end, out, &choices_at, &value_at, &saw_choices);
      int32_t count = out[SSE_SLOT_COMPLETION_TOKENS];
      if (count < 0) out[SSE_SLOT_COMPLETION_TOKENS] = completion_before;
      if (r < 0) break;
      /* No advance (a count that is per chunk, not cumulative, or a finish chunk): the event rule. */
      if (count >= 0 && count_before >= 0 && count > count_before) out[SSE_SLOT_COUNTED_TOKENS] += count - count_before;
      else out[SSE_SLOT_COUNTED_TOKENS] += r;
      if (count >= 0) count_before = count;
      if (from == v && choices_at > v) {
        env_src = v;
        env_len = choices_at - v;
      }
      tpl_prefix = 0;
      if (value_at > v) {
        /* The value's closing quote: the first unescaped one (scan_chunk accepted the string). */
        size_t q = value_at + 1;
        for (;;) {
          while (q < line_end && buf[q] != '"') q++;
          size_t bs = 0;
          while (q - bs > value_at + 1 && buf[q - bs - 1] == '\\') bs++;
          if (q >= line_end || (bs & 1) == 0) break;
          q++;
        }
        /* A value followed by ':' is read as a key by the full scan (invalid JSON, but the scans
         * must agree): never a template. */
        size_t after_value = q + 1;
        while (after_value < line_end && is_space(buf[after_value])) after_value++;
        if (q < line_end && (after_value >= line_end || buf[after_value] != ':')) {
          tpl_src = v;
          tpl_prefix = value_at - v;
          tpl_suffix_src = q + 1;
          tpl_suffix = line_end - (q + 1);
        }
      }
      out[SSE_SLOT_TOKENS] += r;
    }
    out[SSE_SLOT_EVENTS]++;
    pos = line_end + 2;
  }
  napi_value result;
  napi_create_int32(env, (int32_t)pos, &result);
  return result;
}

/*
 * scanJson(buf, start, end, out: Int32Array(SSE_SLOT_COUNT)) -> 1 token, 0 none, -1 needs JS: a whole
 * non-streaming body, scanned like one chunk. out[0] is 1 when it has a top-level "choices" array;
 * finish reason and usage as for scanSse. Mirrors the JS path of applyJsonBodyBytes.
 */
static napi_value ScanJson(napi_env env, napi_callback_info info) {
  uint8_t* buf;
  size_t buf_len;
  int32_t start32, end32;
  void* out_data;
  if (!unpack_range_call(env, info, "scanJson(buf, start, end, out: Int32Array with the sse slots)", napi_int32_array, SSE_SLOT_COUNT, &buf, &buf_len, &start32, &end32, &out_data)) return NULL;
  int32_t* out = (int32_t*)out_data;
  size_t end = (size_t)end32 > buf_len ? buf_len : (size_t)end32;
  for (int k = 0; k < SSE_SLOT_COUNT; k++) out[k] = -1;
  out[SSE_SLOT_EVENTS] = 0;
  int r = -1;
  if ((size_t)start32 < end) {
    size_t choices_at, value_at;
    int saw_choices;
    r = scan_chunk(buf, (size_t)start32, (size_t)start32, end, out, &choices_at, &value_at, &saw_choices);
    out[SSE_SLOT_EVENTS] = saw_choices;
  }
  napi_value result;
  napi_create_int32(env, r, &result);
  return result;
}

napi_value RegisterSseScan(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "scanSse", NAPI_AUTO_LENGTH, ScanSse, NULL, &fn);
  napi_set_named_property(env, exports, "scanSse", fn);
  napi_create_function(env, "scanJson", NAPI_AUTO_LENGTH, ScanJson, NULL, &fn);
  napi_set_named_property(env, exports, "scanJson", fn);
  return exports;
}
