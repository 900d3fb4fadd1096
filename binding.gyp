{
  "targets": [
    {
      "target_name": "bind_no_port",
      "sources": ["native/bind_no_port.c", "native/sse_scan.c", "native/http_head.c"],
      "conditions": [["OS!='linux'", {"sources!": ["native/bind_no_port.c", "native/sse_scan.c", "native/http_head.c"], "sources": []}]]
    }
  ]
}
