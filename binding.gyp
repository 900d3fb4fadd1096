{
  "targets": [
    {
      "target_name": "bind_no_port",
      "sources": ["native/bind_no_port.c"],
      "conditions": [["OS!='linux'", {"sources!": ["native/bind_no_port.c"], "sources": []}]]
    }
  ]
}
