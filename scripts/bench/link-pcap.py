#!/usr/bin/env python3
"""What the sender of a link row saw: DATA from the service (192.0.2.1),
ACKs from the client (192.0.2.2), in the capture that BENCH_LINK_PCAP=1
leaves in DIR/service/link.pcap (scripts/bench.sh). For each capture:
ACKs by reason, how many of them moved the hard-ACK point, the windows
they offered, and the pauses in the sender's DATA (over a millisecond)."""
import struct
import sys
from collections import Counter

REASONS = {1: "requested", 2: "duplicate", 3: "out-of-seq", 4: "exceeds-window",
           5: "nospace", 6: "ping", 7: "ping-response", 8: "delay", 9: "idle"}


def packets(path):
    """(time, source, rx header fields, ACK fields or None) per RxRPC frame."""
    d = open(path, "rb").read()
    off = 24
    while off + 16 <= len(d):
        sec, usec, incl, orig = struct.unpack_from("<IIII", d, off)
        off += 16
        p, off = d[off:off + incl], off + incl
        if len(p) < 70 or p[12:14] != b"\x08\x00":
            continue
        ihl = (p[14] & 15) * 4
        src = ".".join(map(str, p[26:30]))
        rx = p[14 + ihl + 8:]
        _, _, call, seq, serial, typ, flags = struct.unpack_from(">IIIIIBB", rx)
        ack = None
        if typ == 2 and len(rx) >= 46:
            first, _, aser, reason, nacks = struct.unpack_from(">IIIBB", rx, 32)
            tr = 46 + nacks + 3
            rwind = struct.unpack_from(">I", rx, tr + 8)[0] if len(rx) >= tr + 16 else None
            ack = (first, aser, reason, rwind)
        yield sec + usec / 1e6, src, (call, seq, serial, typ, flags, orig), ack


def summary(path):
    data, acks, advancing = [], Counter(), 0
    windows, hard = Counter(), {}
    for t, src, (call, seq, _, typ, flags, size), ack in packets(path):
        if typ == 1 and src == "192.0.2.1" and size > 1000:
            data.append(t)
        elif ack and src == "192.0.2.2":
            first, _, reason, rwind = ack
            acks[REASONS.get(reason, reason)] += 1
            if first > hard.get(call, 0):
                advancing += 1
                hard[call] = first
            if rwind is not None:
                windows[rwind // 32 * 32] += 1
    gaps = [b - a for a, b in zip(data, data[1:]) if b - a > 1e-3]
    print(f"{path}: {len(data)} DATA, {sum(acks.values())} ACKs, {advancing} moved the hard-ACK point")
    print("  ACKs by reason:", ", ".join(f"{k} {v}" for k, v in acks.most_common()))
    print("  windows offered (rwind, in 32s):", ", ".join(f"{k}+ {v}" for k, v in sorted(windows.items())))
    if data:
        print(f"  sending took {data[-1] - data[0]:.3f} s; {len(gaps)} pauses over 1 ms, {sum(gaps):.3f} s in all")


for arg in sys.argv[1:]:
    summary(arg)
