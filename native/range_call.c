#include "range_call.h"

int unpack_range_call(napi_env env, napi_callback_info info, const char* usage, napi_typedarray_type out_type, size_t min_out,
                      uint8_t** buf, size_t* buf_len, int32_t* start, int32_t* end, void** out) {
  size_t argc = 4;
  napi_value argv[4];
  napi_typedarray_type type;
  size_t out_len;
  napi_value ab;
  size_t off;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_buffer_info(env, argv[0], (void**)buf, buf_len) != napi_ok ||
      napi_get_value_int32(env, argv[1], start) != napi_ok || napi_get_value_int32(env, argv[2], end) != napi_ok ||
      napi_get_typedarray_info(env, argv[3], &type, &out_len, out, &ab, &off) != napi_ok || type != out_type || out_len < min_out) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}
