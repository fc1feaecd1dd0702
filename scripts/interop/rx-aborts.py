#!/usr/bin/env python3
# rx-aborts.py PCAP PORT: the Rx ABORT packets to or from UDP port PORT in
# a pcap (Ethernet/IPv4), with the fields tcpdump -vv leaves out: the
# sender, call number, serial and the abort code. Used by interop.sh as
# evidence for a failed cell.
import struct
import sys

RX_CODES = {
    -1: "RX_CALL_DEAD", -2: "RX_INVALID_OPERATION", -3: "RX_CALL_TIMEOUT",
    -4: "RX_EOF", -5: "RX_PROTOCOL_ERROR", -6: "RX_USER_ABORT",
    -7: "RX_ADDRINUSE", -8: "RX_DEBUG_ERR", -9: "RX_CALL_IDLE",
}


def main():
    path, port = sys.argv[1], int(sys.argv[2])
    with open(path, "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            ts, tu, incl, _ = struct.unpack("<IIII", h)
            d = f.read(incl)
            if d[12:14] != b"\x08\x00" or d[23] != 17:
                continue
            u = 14 + (d[14] & 15) * 4
            sp, dp = struct.unpack(">HH", d[u:u + 4])
            if port not in (sp, dp):
                continue
            p = d[u + 8:]
            if len(p) < 32 or p[20] != 4:
                continue
            ep, cid, call, seq, ser = struct.unpack(">IIIII", p[:20])
            svc = struct.unpack(">H", p[26:28])[0]
            code = struct.unpack(">i", p[28:32])[0]
            src = ".".join(str(b) for b in d[26:30])
            print("ABORT from %s:%d epoch %08x cid %08x call %d serial %d service %d code %d (%s)"
                  % (src, sp, ep, cid, call, ser, svc, code, RX_CODES.get(code, "?")))


main()
