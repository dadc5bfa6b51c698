#!/usr/bin/env python3
"""udpsrc.py - which address do a UDP port's datagrams leave from?

  udpsrc.py IFNAME PORT SECONDS OUTFILE
      Sniff (AF_PACKET) IPv4 and IPv6 UDP datagrams with source port PORT on
      IFNAME for SECONDS; append "SRC-ADDRESS FIRST-BYTE LENGTH" per datagram
      to OUTFILE (flushed as it goes).  Writes OUTFILE.ready once listening.
"""
import ipaddress
import socket
import struct
import sys
import time

ifname, port, secs, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
s.bind((ifname, 0))
s.settimeout(0.2)
open(out + ".ready", "w").close()
end = time.time() + secs
with open(out, "a") as f:
    while time.time() < end:
        try:
            pkt, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[4] == socket.PACKET_OUTGOING:
            continue
        v = pkt[0] >> 4
        if v == 4 and len(pkt) >= 28 and pkt[9] == 17:
            ihl = (pkt[0] & 15) * 4
            src = ipaddress.IPv4Address(pkt[12:16])
            udp = pkt[ihl:]
        elif v == 6 and len(pkt) >= 48 and pkt[6] == 17:
            src = ipaddress.IPv6Address(pkt[8:24])
            udp = pkt[40:]
        else:
            continue
        sport = struct.unpack("!H", udp[0:2])[0]
        if sport != port or len(udp) < 9:
            continue
        f.write("%s %d %d\n" % (src, udp[8], len(udp) - 8))
        f.flush()
