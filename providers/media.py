"""Small real files made in code, for the fake Kie server's demo results: PNG, animated GIF, WAV, text.

Real bytes with the right Content-Type, so the bot's delivery (and a browser) treat them as the real thing.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib


def png(width: int = 256, height: int = 256, seed: int = 0) -> bytes:
    """A gradient PNG with a diagonal 'DEMO' band, so it is visibly a placeholder."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            band = abs((x + y) % 64 - 32) < 4
            row += bytes((255, 255, 255) if band else ((x + seed) % 256, (y * 2) % 256, (128 + seed * 40) % 256))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def gif(frames: int = 8, size: int = 64) -> bytes:
    """An animated GIF: a square moving across, looping — the fake's 'video'."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", size, size) + bytes((0xF1, 0, 0)))
    out += bytes((20, 20, 40, 240, 200, 40, 255, 255, 255, 80, 160, 240))  # 4-colour palette
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for frame in range(frames):
        pixels = bytearray()
        offset = frame * (size // frames)
        for y in range(size):
            for x in range(size):
                inside = offset <= x < offset + size // 4 and size // 3 <= y < 2 * size // 3
                pixels.append(1 if inside else 3 if (x + y) % 16 == 0 else 0)
        out += b"\x21\xf9\x04\x04\x0a\x00\x00\x00"  # 0.1 s per frame
        out += b"\x2c" + struct.pack("<HHHH", 0, 0, size, size) + b"\x00"
        out += _lzw(bytes(pixels), min_code_size=2)
    return bytes(out + b"\x3b")


def _lzw(data: bytes, min_code_size: int) -> bytes:
    """GIF's LZW, the simple way: a clear code before every few codes keeps the code size fixed."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    code_size = min_code_size + 1
    bits, count, out = 0, 0, bytearray()

    def emit(code: int) -> None:
        nonlocal bits, count
        bits |= code << count
        count += code_size
        while count >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            count -= 8

    for index, value in enumerate(data):
        if index % ((1 << code_size) - (1 << min_code_size) - 2) == 0:
            emit(clear)
        emit(value)
    emit(end)
    if count:
        out.append(bits & 0xFF)
    blocks = bytearray([min_code_size])
    for start in range(0, len(out), 255):
        piece = out[start : start + 255]
        blocks += bytes([len(piece)]) + piece
    return bytes(blocks + b"\x00")


def wav(seconds: float = 1.5, rate: int = 16000, pitch: float = 440.0) -> bytes:
    """A short chime: a sine tone that fades out."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        total = int(seconds * rate)
        frames = bytearray()
        for i in range(total):
            fade = 1 - i / total
            frames += struct.pack("<h", int(12000 * fade * math.sin(2 * math.pi * pitch * i / rate)))
        out.writeframes(bytes(frames))
    return buffer.getvalue()
