"""The page's fonts, from the pip packages the subtitles already use (no CDN, no system font).

The page lists them in its ``font-family`` with a ``unicode-range`` each (``app.css``), so a
browser downloads a font only when the page shows a character of its script:

- Noto Sans CJK SC for Chinese, Japanese and Korean. The package ships a collection (``.ttc``:
  JP, KR, SC, TC, HK faces), which ``@font-face`` cannot load; :func:`sfnt_from_collection`
  copies one face out into a plain OpenType file, once, into the data directory. It is large
  (the glyphs are shared by every face): about 30 MB, served with a long cache lifetime.
- Noto Sans Arabic as shipped (under 1 MB).

Both are variable fonts: the browser sets the weight axis from CSS ``font-weight``.
"""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

from storyreel.assembly.fonts import CJK_INDEX, arabic_font_path, cjk_font_path

CJK_FILE = "noto-sans-cjk-sc.otf"
ARABIC_FILE = "noto-sans-arabic.ttf"
FONT_FILES = (CJK_FILE, ARABIC_FILE)
MEDIA_TYPES = {CJK_FILE: "font/otf", ARABIC_FILE: "font/ttf"}

_building = threading.Lock()


def sfnt_from_collection(collection: bytes, index: int) -> bytes:
    """Face ``index`` of a TrueType/OpenType collection as a standalone font file: its offset
    table and table directory, then each of its tables (4-byte aligned), offsets rewritten.
    Table checksums are of the table data, which is unchanged."""
    if collection[:4] != b"ttcf":
        raise ValueError("not a font collection")
    (count,) = struct.unpack_from(">I", collection, 8)
    if not 0 <= index < count:
        raise ValueError(f"the collection has {count} faces, not {index + 1}")
    (start,) = struct.unpack_from(">I", collection, 12 + 4 * index)
    version, tables, search, selector, shift = struct.unpack_from(">IHHHH", collection, start)
    entries = [struct.unpack_from(">4sIII", collection, start + 12 + 16 * n) for n in range(tables)]
    header = struct.pack(">IHHHH", version, tables, search, selector, shift)
    offset = 12 + 16 * tables
    directory: list[bytes] = []
    bodies: list[bytes] = []
    for tag, checksum, where, length in entries:
        directory.append(struct.pack(">4sIII", tag, checksum, offset, length))
        body = collection[where : where + length]
        body += b"\0" * (-length % 4)
        bodies.append(body)
        offset += len(body)
    return b"".join([header, *directory, *bodies])


def font_file(name: str, data_dir: Path) -> Path:
    """The file to serve for ``name`` (one of :data:`FONT_FILES`); the CJK face is copied out
    of its collection on first use (blocking file work: call it from a thread)."""
    if name == ARABIC_FILE:
        return arabic_font_path()
    if name != CJK_FILE:
        raise KeyError(name)
    source = cjk_font_path()
    stat = source.stat()
    # Named after the collection it came from: a new font package makes a new copy.
    target = data_dir / "fonts" / f"noto-sans-cjk-sc-{stat.st_size:x}-{stat.st_mtime_ns:x}.otf"
    with _building:
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            face = sfnt_from_collection(source.read_bytes(), CJK_INDEX)
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(face)
            partial.replace(target)  # atomic: another process never serves half a font
    return target


__all__ = ["FONT_FILES", "MEDIA_TYPES", "font_file", "sfnt_from_collection"]
