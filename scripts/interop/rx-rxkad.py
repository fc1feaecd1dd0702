#!/usr/bin/env python3
# rx-rxkad.py PCAP PORT LEVEL SIZE: checks an rxkad cell's capture (the
# packets to or from the client's UDP port PORT, Ethernet/IPv4): every
# DATA and ACK packet carries security index 2, the connection was secured
# (a CHALLENGE and a RESPONSE), and, for a request of 1412 bytes or more,
# the request's first DATA packet carries rxrpc_xfer's pattern (seed 1) as
# the level says: in clear from byte 0 (level 0), in clear from byte 8
# after the sealed 4-byte header and first 4 bytes (level 1), or not in
# clear at all (level 2). Prints one line; exits 1 if a check fails.
import struct
import sys


def pat(seed, i):
    x = (i * 2654435761 + seed * 40503 + (i >> 11)) & 0xffffffff
    return ((x >> 24) ^ (x >> 13)) & 0xff


def main():
    path, port, level, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    n = {}
    other_ix = 0
    first = None
    with open(path, "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            incl = struct.unpack("<IIII", h)[2]
            d = f.read(incl)
            if d[12:14] != b"\x08\x00" or d[23] != 17:
                continue
            u = 14 + (d[14] & 15) * 4
            sp, dp = struct.unpack(">HH", d[u:u + 4])
            if port not in (sp, dp):
                continue
            p = d[u + 8:]
            if len(p) < 28:
                continue
            typ, flags, ix = p[20], p[21], p[23]
            seq = struct.unpack(">I", p[12:16])[0]
            n[typ] = n.get(typ, 0) + 1
            if typ in (1, 2) and ix != 2:
                other_ix += 1
            if typ == 1 and sp == port and seq == 1 and first is None and size >= 1412 and len(p) >= 28 + 24:
                b = p[28:]
                if all(b[i] == pat(1, i) for i in range(16)):
                    first = 0
                elif all(b[8 + i] == pat(1, 4 + i) for i in range(16)):
                    first = 1
                else:
                    first = 2
    why = []
    if not n.get(1):
        why.append("no DATA")
    if other_ix:
        why.append("%d DATA/ACK packet(s) without security index 2" % other_ix)
    if not n.get(6):
        why.append("no CHALLENGE")
    if not n.get(7):
        why.append("no RESPONSE")
    if size >= 1412 and first != level:
        why.append("first DATA looks like level %s, expected %d" % (first, level))
    print("rxkad: %d DATA, %d ACK, %d CHALLENGE, %d RESPONSE, security index 2 on all DATA/ACK: %s, "
          "first request DATA level %s%s" % (n.get(1, 0), n.get(2, 0), n.get(6, 0), n.get(7, 0),
                                            "no" if other_ix else "yes",
                                            "-" if first is None else first,
                                            ("; FAIL " + "; ".join(why)) if why else ""))
    sys.exit(1 if why else 0)


main()
