"""Timed metadata in HLS segments, as IVS delivers PutMetadata: ID3 tags in an MPEG-TS stream.

The emulator's segments come from ffmpeg, which cannot take the metadata as a live input; each
segment is therefore rewritten when served: its program map gains a metadata stream (stream
type 0x15 with an 'ID3 ' metadata descriptor, as Apple's timed-metadata spec and ffmpeg's own
muxer write it) and one PES packet per tag, timed from the segment's first presentation time.
Anything unexpected in a segment leaves it as it was: a segment without metadata, never an error.
"""

from __future__ import annotations

PACKET = 188
_SYNC = 0x47
_PTS_WRAP = 1 << 33
MAX_SEGMENT_BYTES = 64 * 1024 * 1024
MAX_TAG_BYTES = 65_000  # a PES packet length is 16 bits
# metadata_descriptor: application format 0xFFFF, 'ID3 ', format 0xFF, 'ID3 ', service 0, flags.
_METADATA_DESCRIPTOR = bytes([0x26, 13, 0xFF, 0xFF]) + b"ID3 " + b"\xff" + b"ID3 " + bytes([0x00, 0x0F])
_STREAM_TYPE_METADATA = 0x15
_PRIVATE_STREAM_1 = 0xBD


def id3_tag(text: str) -> bytes:
    """An ID3v2.4 tag holding ``text`` in a TXXX frame (UTF-8, empty description), as IVS writes it."""
    body = b"\x03" + b"\x00" + text.encode()  # encoding UTF-8, description "", then the value
    frame = b"TXXX" + _syncsafe(len(body)) + b"\x00\x00" + body
    return b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame


def insert_timed_id3(segment: bytes, tags: list[tuple[float, bytes]]) -> bytes:
    """``segment`` with each (seconds after its first PTS, ID3 tag) as timed metadata."""
    if not tags or len(segment) > MAX_SEGMENT_BYTES or len(segment) % PACKET:
        return segment
    packets = [segment[i : i + PACKET] for i in range(0, len(segment), PACKET)]
    if any(p[0] != _SYNC for p in packets):
        return segment
    pmt_pid = _pmt_pid(packets)
    if pmt_pid is None:
        return segment
    es_pids: set[int] = set()
    rewritten: list[bytes] = []
    first_pmt = -1
    for index, packet in enumerate(packets):
        if _pid(packet) != pmt_pid:
            rewritten.append(packet)
            continue
        parsed = _pmt_es_pids(packet)
        if parsed is None:
            return segment
        es_pids.update(parsed)
        rewritten.append(packet)
        if first_pmt < 0:
            first_pmt = index
    if first_pmt < 0 or not es_pids:
        return segment
    metadata_pid = max(es_pids) + 1
    if metadata_pid >= 0x1FFF or metadata_pid in (pmt_pid, 0):
        return segment
    first_pts = _first_pts(packets, es_pids)
    if first_pts is None:
        return segment
    for index, packet in enumerate(rewritten):
        if _pid(packet) == pmt_pid:
            extended = _with_metadata_stream(packet, metadata_pid)
            if extended is None:
                return segment
            rewritten[index] = extended
    inserted: list[bytes] = []
    counter = 0
    for offset, tag in tags:
        if len(tag) > MAX_TAG_BYTES:
            continue
        pts = (first_pts + max(0, round(offset * 90_000))) % _PTS_WRAP
        for packet in _pes_packets(metadata_pid, pts, tag, counter):
            inserted.append(packet)
            counter = (counter + 1) % 16
    return b"".join(rewritten[: first_pmt + 1] + inserted + rewritten[first_pmt + 1 :])


def _syncsafe(value: int) -> bytes:
    return bytes([(value >> 21) & 0x7F, (value >> 14) & 0x7F, (value >> 7) & 0x7F, value & 0x7F])


def _pid(packet: bytes) -> int:
    return ((packet[1] & 0x1F) << 8) | packet[2]


def _payload(packet: bytes) -> bytes | None:
    """The packet's payload, or None when it has none or its adaptation field is malformed."""
    control = (packet[3] >> 4) & 0x3
    if control == 1:
        return packet[4:]
    if control == 3:
        start = 5 + packet[4]
        return packet[start:] if start <= PACKET else None
    return None


def _section(packet: bytes, table_id: int) -> bytes | None:
    """The PSI section starting in this packet (whole, within it), or None."""
    if not packet[1] & 0x40:  # payload_unit_start
        return None
    payload = _payload(packet)
    if payload is None or not payload:
        return None
    start = 1 + payload[0]
    if start + 3 > len(payload) or payload[start] != table_id:
        return None
    length = ((payload[start + 1] & 0x0F) << 8) | payload[start + 2]
    end = start + 3 + length
    if end > len(payload) or length < 9:
        return None
    return payload[start:end]


def _pmt_pid(packets: list[bytes]) -> int | None:
    for packet in packets:
        if _pid(packet) == 0:
            section = _section(packet, 0x00)
            if section is None:
                return None
            entries = section[8:-4]
            for i in range(0, len(entries) - 3, 4):
                if (entries[i] << 8) | entries[i + 1]:  # program 0 is the network PID
                    return ((entries[i + 2] & 0x1F) << 8) | entries[i + 3]
            return None
    return None


def _pmt_es_pids(packet: bytes) -> list[int] | None:
    section = _section(packet, 0x02)
    if section is None:
        return None
    info_length = ((section[10] & 0x0F) << 8) | section[11]
    position, end, pids = 12 + info_length, len(section) - 4, []
    while position + 5 <= end:
        if section[position] == _STREAM_TYPE_METADATA:
            return None  # already has a metadata stream: leave it alone
        pids.append(((section[position + 1] & 0x1F) << 8) | section[position + 2])
        position += 5 + (((section[position + 3] & 0x0F) << 8) | section[position + 4])
    return pids if position == end else None


def _with_metadata_stream(packet: bytes, metadata_pid: int) -> bytes | None:
    section = _section(packet, 0x02)
    if section is None or (packet[3] >> 4) & 0x3 != 1:
        return None
    entry = bytes(
        [
            _STREAM_TYPE_METADATA,
            0xE0 | (metadata_pid >> 8),
            metadata_pid & 0xFF,
            0xF0 | (len(_METADATA_DESCRIPTOR) >> 8),
            len(_METADATA_DESCRIPTOR) & 0xFF,
        ]
    )
    body = section[:-4] + entry + _METADATA_DESCRIPTOR
    length = len(body) - 3 + 4
    body = body[:1] + bytes([(body[1] & 0xF0) | (length >> 8), length & 0xFF]) + body[3:]
    new_section = body + _crc32(body).to_bytes(4, "big")
    payload = b"\x00" + new_section  # pointer field 0
    if len(payload) > PACKET - 4:
        return None
    return packet[:4] + payload + b"\xff" * (PACKET - 4 - len(payload))


def _first_pts(packets: list[bytes], es_pids: set[int]) -> int | None:
    for packet in packets:
        if _pid(packet) not in es_pids or not packet[1] & 0x40:
            continue
        payload = _payload(packet)
        if payload is None or len(payload) < 14 or payload[:3] != b"\x00\x00\x01":
            continue
        if payload[7] & 0x80:  # PTS present
            p = payload[9:14]
            return ((p[0] >> 1) & 0x07) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1
    return None


def _pes_packets(pid: int, pts: int, tag: bytes, counter: int) -> list[bytes]:
    timestamp = bytes(
        [
            0x21 | ((pts >> 29) & 0x0E),
            (pts >> 22) & 0xFF,
            0x01 | ((pts >> 14) & 0xFE),
            (pts >> 7) & 0xFF,
            0x01 | ((pts << 1) & 0xFE),
        ]
    )
    pes = b"\x00\x00\x01" + bytes([_PRIVATE_STREAM_1]) + (3 + 5 + len(tag)).to_bytes(2, "big")
    pes += b"\x84\x80\x05" + timestamp + tag
    packets = []
    for start in range(0, len(pes), PACKET - 4):
        chunk = pes[start : start + PACKET - 4]
        first = 0x40 if start == 0 else 0x00
        header = bytes([_SYNC, first | (pid >> 8), pid & 0xFF])
        if len(chunk) == PACKET - 4:
            packets.append(header + bytes([0x10 | counter]) + chunk)
        else:  # the last one: an adaptation field of stuffing fills the packet
            stuffing = PACKET - 4 - len(chunk) - 1
            field = bytes([stuffing]) + (b"\x00" + b"\xff" * (stuffing - 1) if stuffing else b"")
            packets.append(header + bytes([0x30 | counter]) + field + chunk)
        counter = (counter + 1) % 16
    return packets


def _crc32(data: bytes) -> int:
    """CRC-32/MPEG-2, the checksum of PSI sections."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc
