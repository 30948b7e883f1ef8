"""The `cloudflare_tail` receiver: config (`config.py`), HTTP and gRPC servers, and its factory.

The mapping of Workers TraceItems to rows is in `collector/tail/` (the tail intake).
"""
