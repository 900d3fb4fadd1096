{
  "targets": [
    {
      "target_name": "bind_no_port",
      "sources": ["native/bind_no_port.c", "native/sse_scan.c", "native/http_head.c", "native/range_call.c"],
      "conditions": [["OS!='linux'", {"sources!": ["native/bind_no_port.c", "native/sse_scan.c", "native/http_head.c", "native/range_call.c"], "sources": []}]]
    }
  ]
}
