"""Forwarding exporters: `otlp` (gRPC) and `otlphttp` send what a pipeline receives to another OTLP endpoint."""
