{
  "targets": [
    {
      "target_name": "udp_receiver",
      "sources": ["udp-receiver.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
