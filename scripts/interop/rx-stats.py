#!/usr/bin/env python3
# rx-stats.py PCAP PORT: per sender, a summary of one cell's Rx traffic (the
# call on UDP port PORT) from a pcap (Ethernet/IPv4): DATA packets,
# retransmissions, the longest pause between DATA packets, ACKs by reason,
# and how often consecutive out-of-sequence ACKs skip serials (a receiver
# that ACKs each out-of-sequence packet steps the acked serial by 1).
# Evidence for interop.sh; the capture is taken on guest A's side of the
# link, so packets that guest B's netem dropped are not in it.
import struct
import sys

REASONS = {1: "requested", 2: "duplicate", 3: "out-of-seq", 4: "exceeds-win",
           5: "nospace", 6: "ping", 7: "ping-resp", 8: "delay", 9: "idle"}


def main():
    path, port = sys.argv[1], int(sys.argv[2])
    st = {}
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
            if len(p) < 28:
                continue
            t = ts + tu / 1e6
            src = "%s:%d" % (".".join(str(b) for b in d[26:30]), sp)
            s = st.setdefault(src, {"data": 0, "seqs": set(), "last": None, "gap": 0.0,
                                    "acks": {}, "oos": None, "steps": {}, "other": {}})
            typ = p[20]
            if typ == 1:
                seq = struct.unpack(">I", p[12:16])[0]
                s["data"] += 1
                s["seqs"].add(seq)
                if s["last"] is not None:
                    s["gap"] = max(s["gap"], t - s["last"])
                s["last"] = t
            elif typ == 2 and len(p) >= 46:
                first, prev, aser, reason = struct.unpack(">IIIB", p[32:45])
                r = REASONS.get(reason, str(reason))
                s["acks"][r] = s["acks"].get(r, 0) + 1
                if reason == 3:
                    if s["oos"] and s["oos"][0] == first:
                        k = aser - s["oos"][1]
                        s["steps"][k] = s["steps"].get(k, 0) + 1
                    s["oos"] = (first, aser)
            else:
                s["other"][typ] = s["other"].get(typ, 0) + 1
    for src, s in sorted(st.items()):
        acks = " ".join("%s:%d" % kv for kv in sorted(s["acks"].items()))
        steps = " ".join("+%d:%d" % kv for kv in sorted(s["steps"].items()))
        other = " ".join("type%d:%d" % kv for kv in sorted(s["other"].items()))
        print("%s: DATA %d (%d retransmitted), longest DATA pause %.3f s; ACKs %s%s%s"
              % (src, s["data"], s["data"] - len(s["seqs"]), s["gap"], acks or "none",
                 "; OOS-ACK serial steps " + steps if steps else "",
                 "; other " + other if other else ""))


main()
