"""Cloudflare Workers tail events: validation, mapping to `events` rows, and the intake receivers call."""

from tailhouse.pipeline.signals import TAIL_KIND

__all__ = ["TAIL_KIND"]
