"""MPEG-TS, as much as the emulator's HLS needs: packets, the program map, presentation times.

Everything here reads segments that ffmpeg wrote, and treats anything unexpected as "not a
segment it can work on" (None), never as an error.
"""

from __future__ import annotations

from collections.abc import Iterable

PACKET = 188
SYNC = 0x47
PTS_WRAP = 1 << 33
STREAM_TYPE_METADATA = 0x15
_PCR_WRAP = PTS_WRAP * 300
# PES stream ids without the optional header (program stream map, padding, private 2, ECM, EMM,
# directory, DSM-CC, H.222.1 type E): their bytes after the length are payload, not timestamps.
_NO_PES_HEADER = {0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xFF, 0xF2, 0xF8}


def split(segment: bytes) -> list[bytes] | None:
    """The segment's packets, or None when it is not a whole number of synchronised packets."""
    if not segment or len(segment) % PACKET:
        return None
    packets = [segment[i : i + PACKET] for i in range(0, len(segment), PACKET)]
    return packets if all(p[0] == SYNC for p in packets) else None


def pid(packet: bytes) -> int:
    return ((packet[1] & 0x1F) << 8) | packet[2]


def payload(packet: bytes) -> bytes | None:
    """The packet's payload, or None when it has none or its adaptation field is malformed."""
    control = (packet[3] >> 4) & 0x3
    if control == 1:
        return packet[4:]
    if control == 3:
        start = 5 + packet[4]
        return packet[start:] if start <= PACKET else None
    return None


def section(packet: bytes, table_id: int) -> bytes | None:
    """The PSI section starting in this packet (whole, within it), or None."""
    if not packet[1] & 0x40:  # payload_unit_start
        return None
    data = payload(packet)
    if not data:
        return None
    start = 1 + data[0]
    if start + 3 > len(data) or data[start] != table_id:
        return None
    length = ((data[start + 1] & 0x0F) << 8) | data[start + 2]
    end = start + 3 + length
    if end > len(data) or length < 9:
        return None
    return data[start:end]


def pmt_pid(packets: Iterable[bytes]) -> int | None:
    """The program map's PID, from the first program of the first PAT."""
    for packet in packets:
        if pid(packet) == 0:
            found = section(packet, 0x00)
            if found is None:
                return None
            entries = found[8:-4]
            for i in range(0, len(entries) - 3, 4):
                if (entries[i] << 8) | entries[i + 1]:  # program 0 is the network PID
                    return ((entries[i + 2] & 0x1F) << 8) | entries[i + 3]
            return None
    return None


def pmt_streams(packet: bytes) -> list[tuple[int, int]] | None:
    """(stream type, PID) of each elementary stream in a PMT packet, or None."""
    found = section(packet, 0x02)
    if found is None:
        return None
    info_length = ((found[10] & 0x0F) << 8) | found[11]
    position, end, streams = 12 + info_length, len(found) - 4, []
    while position + 5 <= end:
        stream_pid = ((found[position + 1] & 0x1F) << 8) | found[position + 2]
        streams.append((found[position], stream_pid))
        position += 5 + (((found[position + 3] & 0x0F) << 8) | found[position + 4])
    return streams if position == end else None


def read_pts(data: bytes | bytearray) -> int:
    """A 33-bit timestamp from its five bytes in a PES header."""
    return ((data[0] >> 1) & 0x07) << 30 | data[1] << 22 | (data[2] >> 1) << 15 | data[3] << 7 | data[4] >> 1


def pts_bytes(value: int, prefix: int) -> bytes:
    """The five bytes of a PES timestamp: ``prefix`` is 0x2 (PTS only), 0x3 (PTS of both) or 0x1 (DTS)."""
    return bytes(
        [
            (prefix << 4) | ((value >> 29) & 0x0E) | 0x01,
            (value >> 22) & 0xFF,
            ((value >> 14) & 0xFE) | 0x01,
            (value >> 7) & 0xFF,
            ((value << 1) & 0xFE) | 0x01,
        ]
    )


def first_pts(packets: Iterable[bytes], pids: set[int]) -> int | None:
    """The presentation time of the first PES of any of ``pids`` that has one."""
    for packet in packets:
        if pid(packet) not in pids or not packet[1] & 0x40:
            continue
        data = payload(packet)
        if data is None or len(data) < 14 or data[:3] != b"\x00\x00\x01":
            continue
        if data[3] not in _NO_PES_HEADER and data[7] & 0x80:
            return read_pts(data[9:14])
    return None


def shifted(segment: bytes, ticks: int, counters: dict[int, int]) -> bytes | None:
    """``segment`` played ``ticks`` (90 kHz) later: every PCR, PTS and DTS moved (modulo their
    wrap), and each PID's continuity counter advanced by ``counters[pid]`` so that the shifted
    copy can follow another. None when a packet cannot be read."""
    if len(segment) % PACKET:
        return None
    out = bytearray(segment)
    for start in range(0, len(out), PACKET):
        if out[start] != SYNC:
            return None
        stream_pid = ((out[start + 1] & 0x1F) << 8) | out[start + 2]
        control = (out[start + 3] >> 4) & 0x3
        body = start + 4
        if control & 0x2:  # an adaptation field
            length = out[start + 4]
            if length and 5 + length <= PACKET and out[start + 5] & 0x10 and length >= 7:  # a PCR
                raw = int.from_bytes(out[start + 6 : start + 12], "big")
                pcr = (raw >> 15) * 300 + (raw & 0x1FF)
                pcr = (pcr + ticks * 300) % _PCR_WRAP
                base, extension = divmod(pcr, 300)
                out[start + 6 : start + 12] = ((base << 15) | (0x3F << 9) | extension).to_bytes(6, "big")
            body = start + 5 + length
        if control & 0x1:
            add = counters.get(stream_pid, 0)
            if add:
                out[start + 3] = (out[start + 3] & 0xF0) | ((out[start + 3] + add) & 0x0F)
            starts_pes = out[start + 1] & 0x40 and out[body : body + 3] == b"\x00\x00\x01"
            if starts_pes and body + 14 <= start + PACKET and out[body + 3] not in _NO_PES_HEADER:
                flags = out[body + 7] >> 6
                if flags & 0x2:
                    pts = (read_pts(out[body + 9 : body + 14]) + ticks) % PTS_WRAP
                    out[body + 9 : body + 14] = pts_bytes(pts, 0x3 if flags == 0x3 else 0x2)
                if flags == 0x3 and body + 19 <= start + PACKET:
                    dts = (read_pts(out[body + 14 : body + 19]) + ticks) % PTS_WRAP
                    out[body + 14 : body + 19] = pts_bytes(dts, 0x1)
    return bytes(out)


def continuity_counts(segment: bytes) -> dict[int, int]:
    """How many packets with a payload each PID has in ``segment`` (what its counter advances by)."""
    counts: dict[int, int] = {}
    for start in range(0, len(segment) - PACKET + 1, PACKET):
        if segment[start + 3] & 0x10:
            stream_pid = ((segment[start + 1] & 0x1F) << 8) | segment[start + 2]
            counts[stream_pid] = counts.get(stream_pid, 0) + 1
    return counts


def crc32(data: bytes) -> int:
    """CRC-32/MPEG-2, the checksum of PSI sections."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def duration(segment: bytes) -> float | None:
    """Seconds of media in ``segment``: from its first presentation time to its last, plus the
    last frame's share (a 25th of a second, about); None when it has no timed media."""
    packets = split(segment)
    if packets is None:
        return None
    program = pmt_pid(packets)
    pids: set[int] = set()
    for packet in packets:
        if pid(packet) == program:
            pids = {stream_pid for kind, stream_pid in pmt_streams(packet) or [] if kind != STREAM_TYPE_METADATA}
            break
    times = []
    for packet in packets:
        if pid(packet) not in pids or not packet[1] & 0x40:
            continue
        data = payload(packet)
        if data is not None and len(data) >= 14 and data[:3] == b"\x00\x00\x01" and data[7] & 0x80:
            times.append(read_pts(data[9:14]))
    if not times:
        return None
    return ((max(times) - min(times)) % PTS_WRAP) / 90_000 + 0.04
