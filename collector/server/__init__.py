"""What every listening server shares (receivers and admin): the settings block, TLS and bearer auth,
the aiohttp and gRPC server bases with their limits and timeouts, body decompression, retry hints."""
