"""Keeps `blocks` bytearrays of `size` bytes until the program exits."""

KEPT = []


def fill(blocks, size):
    for _ in range(blocks):
        KEPT.append(bytearray(size))
