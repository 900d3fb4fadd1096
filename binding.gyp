{
  "targets": [
    {
      "target_name": "bind_no_port",
      "sources": ["native/bind_no_port.c", "native/sse_scan.c"],
      "conditions": [["OS!='linux'", {"sources!": ["native/bind_no_port.c", "native/sse_scan.c"], "sources": []}]]
    }
  ]
}
