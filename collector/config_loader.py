"""Config parsing helpers; they live in `tailhouse.pipeline.config_loader` (shared with the exporters)."""

from tailhouse.pipeline.config_loader import (ByteSize, ConfigError, Duration, build, parse_byte_size, parse_duration,
                                              substitute_env)

__all__ = ["ByteSize", "ConfigError", "Duration", "build", "parse_byte_size", "parse_duration", "substitute_env"]
