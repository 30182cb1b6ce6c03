"""Keeps `blocks` bytearrays of `size` bytes until the program exits."""

ENTRIES = []


def build(blocks, size):
    for _ in range(blocks):
        ENTRIES.append(bytearray(size))
