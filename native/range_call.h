/*
 * The calling convention the scanners share: fn(buf, start, end, out), where out is a typed array
 * the result is written into (no allocation per call).
 */
#ifndef LLM_LOADGEN_RANGE_CALL_H
#define LLM_LOADGEN_RANGE_CALL_H
#include <node_api.h>
#include <stdint.h>

/*
 * Unpacks the four arguments; `out` must be a typed array of `out_type` with at least `min_out`
 * elements. Returns 1, or throws a TypeError naming `usage` and returns 0.
 */
int unpack_range_call(napi_env env, napi_callback_info info, const char* usage, napi_typedarray_type out_type, size_t min_out,
                      uint8_t** buf, size_t* buf_len, int32_t* start, int32_t* end, void** out);

#endif
