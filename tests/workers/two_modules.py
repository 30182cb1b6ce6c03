#!/usr/bin/python3
"""Runs to completion keeping 400 x 64 KiB in twomod.cache and 400 x 32 KiB in twomod.index:
memgate explain --by module names each module with its bytes (tests/integration)."""

from twomod import cache, index

cache.fill(400, 65536)
index.build(400, 32768)
print("done", flush=True)
