/*
 * The llm_loadgen_native addon: one module, registered here, holding every native fast path
 * (bound sockets and peek in bind_no_port.c, the SSE/JSON scanners in sse_scan.c, the response-head
 * parser in http_head.c, the open-loop schedule's timer in deadline_timer.c, per-thread SCHED_IDLE and its starvation guard in thread_sched.c) and `slots`, the output-slot table it was compiled with (slots.h), which
 * the tests compare with src/native/slots.ts so a stale build cannot misread a slot.
 */
#include <node_api.h>
#include "slots.h"

napi_value RegisterBindNoPort(napi_env env, napi_value exports);
napi_value RegisterSseScan(napi_env env, napi_value exports);
napi_value RegisterHttpHead(napi_env env, napi_value exports);
napi_value RegisterDeadlineTimer(napi_env env, napi_value exports);
napi_value RegisterThreadSched(napi_env env, napi_value exports);

static const struct {
  const char* layout;
  const char* name;
  int index;
} SLOTS[] = {
#define X(layout, name, index) {layout, name, index},
    LLM_LOADGEN_SLOTS(X)
#undef X
};

/* slots: { sse: { events: 0, … }, head: { keepAlive: 0, … } } */
static void register_slots(napi_env env, napi_value exports) {
  napi_value slots;
  napi_create_object(env, &slots);
  for (size_t i = 0; i < sizeof SLOTS / sizeof SLOTS[0]; i++) {
    napi_value layout, index;
    bool has = false;
    napi_has_named_property(env, slots, SLOTS[i].layout, &has);
    if (has) {
      napi_get_named_property(env, slots, SLOTS[i].layout, &layout);
    } else {
      napi_create_object(env, &layout);
      napi_set_named_property(env, slots, SLOTS[i].layout, layout);
    }
    napi_create_int32(env, SLOTS[i].index, &index);
    napi_set_named_property(env, layout, SLOTS[i].name, index);
  }
  napi_set_named_property(env, exports, "slots", slots);
}

static napi_value Init(napi_env env, napi_value exports) {
  RegisterBindNoPort(env, exports);
  RegisterSseScan(env, exports);
  RegisterHttpHead(env, exports);
  RegisterDeadlineTimer(env, exports);
  RegisterThreadSched(env, exports);
  register_slots(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
