"""Cloudflare Workers tail events: validation, mapping to `events` rows, and the intake receivers call."""

# Payload kind (batch and exporter-target key) of mapped tail rows, as JSONEachRow lines.
TAIL_KIND = "cloudflare_tail"
