"""Timed metadata in HLS segments, as IVS delivers PutMetadata: ID3 tags in an MPEG-TS stream.

The emulator's segments come from ffmpeg, which cannot take the metadata as a live input; each
segment is therefore rewritten once it is finished: its program map gains a metadata stream
(stream type 0x15 with an 'ID3 ' metadata descriptor, as Apple's timed-metadata spec and
ffmpeg's own muxer write it), declared in every segment as IVS's segments declare it, and one PES
packet per tag, timed from the segment's first presentation time. Anything unexpected in a
segment leaves it as it was: a segment without metadata, never an error.
"""

from __future__ import annotations

from ivs_async.testing import _ts

MAX_SEGMENT_BYTES = 64 * 1024 * 1024
MAX_TAG_BYTES = 65_000  # a PES packet length is 16 bits
# metadata_descriptor: application format 0xFFFF, 'ID3 ', format 0xFF, 'ID3 ', service 0, flags.
_METADATA_DESCRIPTOR = bytes([0x26, 13, 0xFF, 0xFF]) + b"ID3 " + b"\xff" + b"ID3 " + bytes([0x00, 0x0F])
_PRIVATE_STREAM_1 = 0xBD


def id3_tag(text: str) -> bytes:
    """An ID3v2.4 tag holding ``text`` in a TXXX frame (UTF-8, empty description), as IVS writes it."""
    body = b"\x03" + b"\x00" + text.encode()  # encoding UTF-8, description "", then the value
    frame = b"TXXX" + _syncsafe(len(body)) + b"\x00\x00" + body
    return b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame


def insert_timed_id3(segment: bytes, tags: list[tuple[float, bytes]]) -> bytes:
    """``segment`` with a timed-metadata stream holding each (seconds after its first PTS, ID3 tag)."""
    if len(segment) > MAX_SEGMENT_BYTES:
        return segment
    packets = _ts.split(segment)
    if packets is None:
        return segment
    pmt_pid = _ts.pmt_pid(packets)
    if pmt_pid is None:
        return segment
    es_pids: set[int] = set()
    first_pmt = -1
    for index, packet in enumerate(packets):
        if _ts.pid(packet) != pmt_pid:
            continue
        streams = _ts.pmt_streams(packet)
        if streams is None or any(kind == _ts.STREAM_TYPE_METADATA for kind, _ in streams):
            return segment  # unreadable, or it has a metadata stream already: left alone
        es_pids.update(stream_pid for _, stream_pid in streams)
        if first_pmt < 0:
            first_pmt = index
    if first_pmt < 0 or not es_pids:
        return segment
    metadata_pid = max(es_pids) + 1
    if metadata_pid >= 0x1FFF or metadata_pid in (pmt_pid, 0):
        return segment
    first_pts = _ts.first_pts(packets, es_pids)
    if first_pts is None:
        return segment
    rewritten = list(packets)
    for index, packet in enumerate(packets):
        if _ts.pid(packet) == pmt_pid:
            extended = _with_metadata_stream(packet, metadata_pid)
            if extended is None:
                return segment
            rewritten[index] = extended
    inserted: list[bytes] = []
    counter = 0
    for offset, tag in tags:
        if len(tag) > MAX_TAG_BYTES:
            continue
        pts = (first_pts + max(0, round(offset * 90_000))) % _ts.PTS_WRAP
        for packet in _pes_packets(metadata_pid, pts, tag, counter):
            inserted.append(packet)
            counter = (counter + 1) % 16
    return b"".join(rewritten[: first_pmt + 1] + inserted + rewritten[first_pmt + 1 :])


def _syncsafe(value: int) -> bytes:
    return bytes([(value >> 21) & 0x7F, (value >> 14) & 0x7F, (value >> 7) & 0x7F, value & 0x7F])


def _with_metadata_stream(packet: bytes, metadata_pid: int) -> bytes | None:
    section = _ts.section(packet, 0x02)
    if section is None or (packet[3] >> 4) & 0x3 != 1:
        return None
    entry = bytes(
        [
            _ts.STREAM_TYPE_METADATA,
            0xE0 | (metadata_pid >> 8),
            metadata_pid & 0xFF,
            0xF0 | (len(_METADATA_DESCRIPTOR) >> 8),
            len(_METADATA_DESCRIPTOR) & 0xFF,
        ]
    )
    body = section[:-4] + entry + _METADATA_DESCRIPTOR
    length = len(body) - 3 + 4
    body = body[:1] + bytes([(body[1] & 0xF0) | (length >> 8), length & 0xFF]) + body[3:]
    new_section = body + _ts.crc32(body).to_bytes(4, "big")
    data = b"\x00" + new_section  # pointer field 0
    if len(data) > _ts.PACKET - 4:
        return None
    return packet[:4] + data + b"\xff" * (_ts.PACKET - 4 - len(data))


def _pes_packets(stream_pid: int, pts: int, tag: bytes, counter: int) -> list[bytes]:
    pes = b"\x00\x00\x01" + bytes([_PRIVATE_STREAM_1]) + (3 + 5 + len(tag)).to_bytes(2, "big")
    pes += b"\x84\x80\x05" + _ts.pts_bytes(pts, 0x2) + tag
    packets = []
    for start in range(0, len(pes), _ts.PACKET - 4):
        chunk = pes[start : start + _ts.PACKET - 4]
        first = 0x40 if start == 0 else 0x00
        header = bytes([_ts.SYNC, first | (stream_pid >> 8), stream_pid & 0xFF])
        if len(chunk) == _ts.PACKET - 4:
            packets.append(header + bytes([0x10 | counter]) + chunk)
        else:  # the last one: an adaptation field of stuffing fills the packet
            stuffing = _ts.PACKET - 4 - len(chunk) - 1
            field = bytes([stuffing]) + (b"\x00" + b"\xff" * (stuffing - 1) if stuffing else b"")
            packets.append(header + bytes([0x30 | counter]) + field + chunk)
        counter = (counter + 1) % 16
    return packets
