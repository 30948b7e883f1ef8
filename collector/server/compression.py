"""HTTP request body decompression (`Content-Encoding`) with a size cap on the output.

The cap applies to the decompressed size too: a few kilobytes of gzip can expand to gigabytes,
and the limit a user configures is about what the collector holds in memory.
"""

from __future__ import annotations

import zlib

import zstandard

SUPPORTED_ENCODINGS = ("gzip", "zstd", "deflate", "identity")


class UnsupportedEncoding(ValueError):
    """The Content-Encoding is not one we can decode."""


class BodyTooLarge(ValueError):
    """The (decompressed) body is larger than the configured limit."""


class CorruptBody(ValueError):
    """The body does not decode with the encoding it claims."""


def decompress(encoding: str, data: bytes, limit: int) -> bytes:
    """Decode `data` per a Content-Encoding value; raise BodyTooLarge past `limit` bytes of output."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()] if encoding else []
    # Codings are listed in the order they were applied, so undo them last to first.
    for coding in reversed(codings):
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip"):
            data = _zlib(data, limit, wbits=16 + zlib.MAX_WBITS, name="gzip")
        elif coding == "deflate":
            # HTTP "deflate" is zlib-wrapped; some clients send raw deflate, so accept both.
            data = _zlib(data, limit, wbits=32 + zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS,
                         name="deflate")
        elif coding == "zstd":
            data = _zstd(data, limit)
        else:
            raise UnsupportedEncoding(
                f"unsupported Content-Encoding {coding!r} (supported: {', '.join(SUPPORTED_ENCODINGS)})"
            )
    if len(data) > limit:
        raise BodyTooLarge(f"request body is {len(data)} bytes, more than the limit of {limit}")
    return data


def _zlib(data: bytes, limit: int, wbits: int, name: str) -> bytes:
    """Inflate `data`; for gzip, every member (RFC 1952 allows several, and Go's reader reads them all)."""
    chunks: list[bytes] = []
    total = 0
    rest = data
    while True:
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(rest, limit - total + 1)
        except zlib.error as exc:
            raise CorruptBody(f"body is not valid {name} data: {exc}") from exc
        total += len(out)
        if total > limit:
            raise BodyTooLarge(f"decompressed request body is more than the limit of {limit} bytes")
        chunks.append(out)
        if not d.eof:
            raise CorruptBody(f"{name} body is truncated")
        rest = d.unused_data
        # Another gzip member follows (trailing zero padding, as gzip(1) tolerates, is not one).
        if name != "gzip" or not rest.strip(b"\0"):
            break
    return b"".join(chunks)


def gunzip(data: bytes, limit: int) -> bytes:
    """Every member of a gzip body, at most `limit` bytes once decompressed."""
    return _zlib(data, limit, wbits=16 + zlib.MAX_WBITS, name="gzip")


def _zstd(data: bytes, limit: int) -> bytes:
    # zstd has no output cap per call, so feed small input slices: one slice can expand at most
    # ~32000x (RLE blocks), which bounds how far past `limit` memory can grow before we stop.
    step = 512
    chunks: list[bytes] = []
    total = 0
    pos = 0
    try:
        while pos < len(data):
            d = zstandard.ZstdDecompressor().decompressobj()
            while pos < len(data) and not d.eof:
                out = d.decompress(data[pos:pos + step])
                pos = min(pos + step, len(data))
                total += len(out)
                if total > limit:
                    raise BodyTooLarge(f"decompressed request body is more than the limit of {limit} bytes")
                chunks.append(out)
            if not d.eof:
                raise CorruptBody("zstd body is truncated")
            # Several concatenated frames are one valid body: continue after this frame's end.
            pos -= len(d.unused_data)
    except zstandard.ZstdError as exc:
        raise CorruptBody(f"body is not valid zstd data: {exc}") from exc
    return b"".join(chunks)
