#!/usr/bin/env python3
"""What the sender of a link row saw, in the capture that BENCH_LINK_PCAP=1
leaves in DIR/service/link.pcap (scripts/bench.sh): the sender is the
guest that sent the bulk DATA (the service for a reply, the client for a
request), the receiver the other. For each capture: ACKs by reason, how
many of them moved the hard-ACK point, the windows they offered, the
pauses in the sender's DATA (over a millisecond), the sender's datagrams
lost before the capture (holes in its serials; only meaningful where
the capture is at the receiver, that is for a request), how many DATA
asked for an ACK, and how long the receiver took to answer those
(capture to answer: its queue and its work, no link)."""
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
        # An IP fragment after the first holds no UDP or RxRPC header.
        if struct.unpack_from(">H", p, 20)[0] & 0x1fff:
            continue
        src = ".".join(map(str, p[26:30]))
        rx = p[14 + ihl + 8:]
        _, cid, call, seq, serial, typ, flags = struct.unpack_from(">IIIIIBB", rx)
        ack = None
        if typ == 2 and len(rx) >= 46:
            first, _, aser, reason, nacks = struct.unpack_from(">IIIBB", rx, 32)
            tr = 46 + nacks + 3
            rwind = struct.unpack_from(">I", rx, tr + 8)[0] if len(rx) >= tr + 16 else None
            ack = (first, aser, reason, rwind)
        yield sec + usec / 1e6, src, (cid & ~3, call, seq, serial, typ, flags, orig), ack


def summary(path):
    frames = list(packets(path))
    sent = Counter(src for _, src, h, _ in frames if h[4] == 1 and h[6] > 1000)
    if not sent:
        print(f"{path}: no bulk DATA")
        return
    sender = sent.most_common(1)[0][0]
    data, acks, advancing = [], Counter(), 0
    windows, hard, serials, asked, answers = Counter(), {}, {}, {}, []
    for t, src, (conn, call, seq, serial, typ, flags, size), ack in frames:
        if src == sender:
            serials.setdefault(conn, set()).add(serial)
            if typ == 1 and size > 1000:
                data.append(t)
                if flags & 2:
                    asked[(conn, serial)] = t
        elif ack:
            first, aser, reason, rwind = ack
            acks[REASONS.get(reason, reason)] += 1
            if first > hard.get(call, 0):
                advancing += 1
                hard[call] = first
            if rwind is not None:
                windows[rwind // 32 * 32] += 1
            if reason == 1 and (conn, aser) in asked:
                answers.append(t - asked.pop((conn, aser)))
    gaps = [b - a for a, b in zip(data, data[1:]) if b - a > 1e-3]
    lost = sum(max(v) - min(v) + 1 - len(v) for v in serials.values())
    print(f"{path}: {len(data)} DATA from {sender}, {sum(acks.values())} ACKs, {advancing} moved the hard-ACK point")
    print("  ACKs by reason:", ", ".join(f"{k} {v}" for k, v in acks.most_common()))
    print("  windows offered (rwind, in 32s):", ", ".join(f"{k}+ {v}" for k, v in sorted(windows.items())))
    print(f"  sending took {data[-1] - data[0]:.3f} s; {len(gaps)} pauses over 1 ms, {sum(gaps):.3f} s in all")
    print(f"  sender's serials missing: {lost}; DATA asking for an ACK: {len(answers) + len(asked)}")
    if answers:
        answers.sort()
        ms = [answers[int(q * (len(answers) - 1))] * 1e3 for q in (0.1, 0.5, 0.9)]
        print("  answered in ms: p10 %.2f, p50 %.2f, p90 %.2f" % tuple(ms))


for arg in sys.argv[1:]:
    summary(arg)
