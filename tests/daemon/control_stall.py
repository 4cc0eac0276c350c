#!/usr/bin/env python3
"""control_stall.py CTLDIR N COMMAND...: N clients of qspnd's control FIFO that
never read their replies (docs/control.md, "Exchange").  Each creates its reply
FIFO, holds it open for reading with its pipe shrunk to one page and filled
(so not one byte of the reply can be written), writes its request and then
stays silent; all of them exit (closing their FIFOs) when stdin closes.  Plus
N "dead" clients: requests whose reply FIFO never exists.  Prints the ids."""
import fcntl
import os
import sys

F_SETPIPE_SZ = 1031


def main():
    ctl, n, command = sys.argv[1], int(sys.argv[2]), " ".join(sys.argv[3:])
    fds, names = [], []
    cmd = os.open(os.path.join(ctl, "cmd.fifo"), os.O_WRONLY | os.O_NONBLOCK)
    for i in range(n):
        rid = "stall%04d%05d" % (i, os.getpid() % 100000)
        path = os.path.join(ctl, "rsp-%s.fifo" % rid)
        os.mkfifo(path, 0o600)
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
        try:                       # full: not one byte of the reply fits
            while True:
                os.write(fd, b"x" * 4096)
        except BlockingIOError:
            pass
        fds.append(fd)
        names.append(path)
        os.write(cmd, ("\n%s %s\n" % (rid, command)).encode())
        os.write(cmd, ("\ndead%04d%05d %s\n" % (i, os.getpid() % 100000, command)).encode())
    print("stalled %d clients and %d dead ones" % (n, n), flush=True)
    sys.stdin.read()
    for fd, path in zip(fds, names):
        os.close(fd)
        os.unlink(path)


main()
