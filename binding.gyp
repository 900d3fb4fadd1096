{
  "targets": [
    {
      "target_name": "llm_loadgen_native",
      "sources": ["native/addon.c", "native/bind_no_port.c", "native/sse_scan.c", "native/http_head.c", "native/range_call.c", "native/deadline_timer.c", "native/thread_sched.c"],
      "conditions": [["OS!='linux'", {"sources!": ["native/addon.c", "native/bind_no_port.c", "native/sse_scan.c", "native/http_head.c", "native/range_call.c", "native/deadline_timer.c", "native/thread_sched.c"], "sources": []}]]
    }
  ]
}
