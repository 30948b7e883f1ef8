"""The write-ahead log: segments of appended requests (format, log) and each reader's cursor."""

from .cursor import Cursor, Range
from .format import CorruptRecord, Entry
from .log import FSYNC_MODES, LogLocked, LogOptions, Recovery, WriteAheadLog, request_digest

__all__ = ["Cursor", "Range", "CorruptRecord", "Entry", "FSYNC_MODES", "LogLocked", "LogOptions", "Recovery",
           "WriteAheadLog", "request_digest"]
