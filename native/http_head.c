/*
 * parseHead(buf, start, end, out: Float64Array(HEAD_SLOT_COUNT)) -> status: the status line and the four headers
 * the client uses from one HTTP/1.x response head buf[start, end) (end = the blank line's CRLF), in
 * one call. It mirrors Http1ResponseParser.applyHead (src/client/http1-response-parser.ts) exactly;
 * JS stays the fallback and the oracle (the parser's tests run both).
 *
 * Returns the status (100–999), or -1 when the first line is not `HTTP/1.x NNN`, or -2 when a
 * Content-Length is not digits (HEAD_SLOT_VALUE_START/END = the value's offsets, for the message).
 * The other slots are described in slots.h (generated from src/native/slots.ts); an "other"
 * content type's offsets run up to any ';', trailing blanks removed, and JS makes the string.
 * The head-size limit (64 KiB through the blank line)
 * is applied before this call, by the framing code both paths share (http1-response-parser.ts).
 *
 * Why native: bench/micro-head-parse.ts, one nginx response parsed whole, alternating: 742–841 ns
 * with this vs 1,124–1,218 ns with the JS head parser (and 1.1–1.3 µs vs 1.8–2.0 µs in a slower
 * period); the head is a byte loop over ~200 bytes that JS runs at several ns per byte.
 */
#include <node_api.h>
#include "range_call.h"
#include "slots.h"
#include <stdint.h>
#include <string.h>

static int blank(uint8_t c) { return c == ' ' || c == '\t'; }
static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c; }

/* b[s, e) equals the lower-case ASCII `word`, ignoring ASCII case. */
static int equals_lower(const uint8_t* b, size_t s, size_t e, const char* word) {
  size_t n = strlen(word);
  if (e - s != n) return 0;
  for (size_t k = 0; k < n; k++) if (lower(b[s + k]) != (uint8_t)word[k]) return 0;
  return 1;
}

/* b[s, e) contains the lower-case ASCII `word`, ignoring ASCII case (JS: toLowerCase().includes). */
static int contains_lower(const uint8_t* b, size_t s, size_t e, const char* word) {
  size_t n = strlen(word);
  for (size_t i = s; i + n <= e; i++) {
    size_t k = 0;
    while (k < n && lower(b[i + k]) == (uint8_t)word[k]) k++;
    if (k == n) return 1;
  }
  return 0;
}

/* JS String.prototype.trim on latin1 text: these bytes are white space or line terminators. */
static int js_space(uint8_t c) { return c == 0x09 || c == 0x0a || c == 0x0b || c == 0x0c || c == 0x0d || c == 0x20 || c == 0xa0; }

static int status_line(const uint8_t* b, size_t s, size_t e) {
  if (e - s < 12 || memcmp(b + s, "HTTP/1.", 7) != 0) return 0;
  if ((b[s + 7] != '0' && b[s + 7] != '1') || b[s + 8] != ' ') return 0;
  for (size_t i = 9; i < 12; i++) if (b[s + i] < '0' || b[s + i] > '9') return 0;
  return e - s == 12 || b[s + 12] == ' ';
}

static size_t line_end_from(const uint8_t* b, size_t from, size_t end) {
  for (size_t i = from; i < end; i++) if (b[i] == '\r' && b[i + 1] == '\n') return i;
  return end;
}

static napi_value ParseHead(napi_env env, napi_callback_info info) {
  uint8_t* b;
  size_t len;
  int32_t start32, end32;
  void* out_data;
  if (!unpack_range_call(env, info, "parseHead(buf, start, end, out: Float64Array with the head slots)", napi_float64_array, HEAD_SLOT_COUNT, &b, &len, &start32, &end32, &out_data)) return NULL;
  /* end + 1 must be readable: the head ends with CRLFCRLF, and end is its first CR. */
  if (start32 < 0 || end32 < start32 || (size_t)end32 + 1 >= len) {
    napi_throw_range_error(env, NULL, "parseHead: start and end must lie within buf, before its final byte");
    return NULL;
  }
  double* out = (double*)out_data;
  size_t start = (size_t)start32, end = (size_t)end32;
  int32_t status = -1;
  size_t line_end = line_end_from(b, start, end);
  if (status_line(b, start, line_end)) {
    status = (b[start + 9] - '0') * 100 + (b[start + 10] - '0') * 10 + (b[start + 11] - '0');
    out[HEAD_SLOT_KEEP_ALIVE] = b[start + 7] == '1';
    out[HEAD_SLOT_CONTENT_LENGTH] = -1;
    out[HEAD_SLOT_CHUNKED] = 0;
    out[HEAD_SLOT_CONTENT_TYPE] = 0;
    out[HEAD_SLOT_ENCODING_START] = -1;
    out[HEAD_SLOT_ENCODING_END] = -1;
    while (line_end < end) {
      size_t line_start = line_end + 2;
      size_t colon = 0, i = line_start;
      int have_colon = 0;
      for (; i < end; i++) {
        if (b[i] == '\r' && b[i + 1] == '\n') break;
        if (b[i] == ':' && !have_colon) {
          colon = i;
          have_colon = 1;
        }
      }
      line_end = i;
      if (!have_colon || colon <= line_start) continue;
      size_t n0 = line_start, n1 = colon;
      while (n0 < n1 && blank(b[n0])) n0++;
      while (n1 > n0 && blank(b[n1 - 1])) n1--;
      size_t v0 = colon + 1, v1 = line_end;
      while (v0 < v1 && blank(b[v0])) v0++;
      while (v1 > v0 && blank(b[v1 - 1])) v1--;
      if (equals_lower(b, n0, n1, "content-length")) {
        if (v0 == v1) {
          out[HEAD_SLOT_VALUE_START] = (double)v0;
          out[HEAD_SLOT_VALUE_END] = (double)v1;
          status = -2;
          break;
        }
        double n = 0;
        int ok = 1;
        for (size_t k = v0; k < v1; k++) {
          if (b[k] < '0' || b[k] > '9') {
            ok = 0;
            break;
          }
          n = n * 10 + (b[k] - '0');
        }
        if (!ok) {
          out[HEAD_SLOT_VALUE_START] = (double)v0;
          out[HEAD_SLOT_VALUE_END] = (double)v1;
          status = -2;
          break;
        }
        out[HEAD_SLOT_CONTENT_LENGTH] = n;
      } else if (equals_lower(b, n0, n1, "transfer-encoding")) {
        /* JS: value.toLowerCase().split(',').pop().trim() === 'chunked' */
        size_t t0 = v0;
        for (size_t k = v0; k < v1; k++) if (b[k] == ',') t0 = k + 1;
        size_t t1 = v1;
        while (t0 < t1 && js_space(b[t0])) t0++;
        while (t1 > t0 && js_space(b[t1 - 1])) t1--;
        out[HEAD_SLOT_CHUNKED] = equals_lower(b, t0, t1, "chunked");
      } else if (equals_lower(b, n0, n1, "connection")) {
        if (contains_lower(b, v0, v1, "close")) out[HEAD_SLOT_KEEP_ALIVE] = 0;
        else if (contains_lower(b, v0, v1, "keep-alive")) out[HEAD_SLOT_KEEP_ALIVE] = 1;
      } else if (equals_lower(b, n0, n1, "content-encoding")) {
        out[HEAD_SLOT_ENCODING_START] = (double)v0;
        out[HEAD_SLOT_ENCODING_END] = (double)v1;
      } else if (equals_lower(b, n0, n1, "content-type")) {
        size_t semi = v0;
        while (semi < v1 && b[semi] != ';') semi++;
        size_t t1 = semi;
        while (t1 > v0 && blank(b[t1 - 1])) t1--;
        if (equals_lower(b, v0, t1, "text/event-stream")) out[HEAD_SLOT_CONTENT_TYPE] = 1;
        else if (equals_lower(b, v0, t1, "application/json")) out[HEAD_SLOT_CONTENT_TYPE] = 2;
        else {
          out[HEAD_SLOT_CONTENT_TYPE] = 3;
          out[HEAD_SLOT_VALUE_START] = (double)v0;
          out[HEAD_SLOT_VALUE_END] = (double)t1;
        }
      }
    }
  }
  napi_value result;
  napi_create_int32(env, status, &result);
  return result;
}

napi_value RegisterHttpHead(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "parseHead", NAPI_AUTO_LENGTH, ParseHead, NULL, &fn);
  napi_set_named_property(env, exports, "parseHead", fn);
  return exports;
}
