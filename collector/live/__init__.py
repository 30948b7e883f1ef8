"""Live tail: accepted requests decoded into events and streamed to subscribers (`tailhouse tail`)."""
