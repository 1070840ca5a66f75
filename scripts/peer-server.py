#!/usr/bin/python3
"""Serve a Python peer to `gradproof hunt` without a Python start-up per case.

Importing torch takes seconds (tens of seconds on a loaded machine), which would
dominate a 500-case hunt. This server imports the peer once and runs its main(argv) for
each request arriving on the FIFO DIR/req ("IN OUT" on one line), answering the exit
status on DIR/rep:

    /usr/bin/python3 scripts/peer-server.py DIR examples/torch_peer.py --dtype float32 &
    gradproof hunt --cases 500 -- sh -c 'echo "$1 $2" > DIR/req && read s < DIR/rep &&
        exit $s' sh
    echo quit > DIR/req

The peer sees argv = [PEER, IN, OUT, ARGS...], as when run by hunt directly. Paths must
not contain spaces. Used by scripts/hunt-soak.sh."""
import importlib.util
import os
import sys
import traceback


def main(argv):
    d, peer, extra = argv[1], argv[2], argv[3:]
    spec = importlib.util.spec_from_file_location("peer", peer)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    req, rep = os.path.join(d, "req"), os.path.join(d, "rep")
    for p in (req, rep):
        if not os.path.exists(p):
            os.mkfifo(p)
    while True:
        with open(req) as f:
            line = f.read().strip()
        if line == "quit":
            break
        status = 0
        try:
            src, out = line.split(" ")
            mod.main([peer, src, out] + extra)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
        except Exception:  # the candidate crashed: hunt reports it with the case
            traceback.print_exc()
            status = 1
        with open(rep, "w") as f:
            f.write("%d\n" % status)


if __name__ == "__main__":
    main(sys.argv)
