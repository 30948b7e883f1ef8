"""The `otlp` receiver: config (`config.py`), gRPC and HTTP servers, per-item limits, and its factory."""
