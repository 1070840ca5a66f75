#!/usr/bin/env python3
"""fuzz/make-corpus.py OUTDIR: seed corpora of small valid files, one directory per
harness of fuzz/ (OUTDIR/fuzz_idx_images, ...), plus a few near misses (truncated,
trailing byte) so the fuzzer starts on both sides of each check. The dump, record and
checkpoint seeds are files the CLI wrote (fuzz/seeds/HARNESS/: `gradproof oracle`, `compare
--record`, `train --checkpoint` on 2x2 images); they are copied. Standard library only."""
import glob
import gzip
import json
import os
import struct
import sys

SEEDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def idx_images(n, rows, cols):
    pixels = bytes((37 * i + 11) % 256 for i in range(n * rows * cols))
    return struct.pack(">IIII", 0x803, n, rows, cols) + pixels


def idx_labels(n, top=9):
    return struct.pack(">II", 0x801, n) + bytes(i % (top + 1) for i in range(n))


def npy(descr, shape, data, fortran=False, version=1):
    shape_txt = "(%s)" % "".join("%d," % d for d in shape) if len(shape) == 1 else str(shape)
    text = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape_txt.replace(" ", ""))
    lenfmt = "<H" if version == 1 else "<I"
    pre = 8 + struct.calcsize(lenfmt)
    text += " " * ((64 - (pre + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(lenfmt, len(text)) + text.encode() + data


def network(sizes, cost, bare_bias=False):
    w, b, k = [], [], 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        w.append([[((k := k + 1) * 0.3817) % 2 - 1 for _ in range(n_in)] for _ in range(n_out)])
        b.append([(j * 0.25 - 0.5) if bare_bias else [j * 0.25 - 0.5] for j in range(n_out)])
    return json.dumps({"sizes": sizes, "weights": w, "biases": b, "cost": cost}).encode()


def seeds():
    images = idx_images(3, 4, 5)
    yield "fuzz_idx_images", [images, gzip.compress(images, mtime=0), idx_images(1, 1, 1),
                              images[:-1], images + b"\0"]
    yield "fuzz_idx_labels", [b"\x09" + idx_labels(5), b"\xff" + idx_labels(3, 200),
                              b"\x09" + gzip.compress(idx_labels(4), mtime=0),
                              b"\x01" + idx_labels(4, 3)]
    yield "fuzz_idx_gzip", [images, idx_images(2, 2, 2), images + b"\0"]
    mnist = b"GPSPLIT".join([idx_images(4, 2, 3), idx_labels(4), idx_images(2, 2, 3),
                             idx_labels(2)])
    yield "fuzz_mnist", [mnist, mnist.replace(idx_labels(2), idx_labels(3))]
    arrays = [npy("<f8", (2, 3), struct.pack("<6d", *[0.5 * i - 1 for i in range(6)])),
              npy("<f4", (3,), struct.pack("<3f", 1.5, -2.0, 0.25)),
              npy("|u1", (), b"\x07"),
              npy("<f8", (2, 2), struct.pack("<4d", 1, 2, 3, 4), fortran=True),
              npy("<f8", (1, 3), struct.pack("<3d", 0.1, float("nan"), 3), version=2),
              npy("<f8", (2,), struct.pack("<2d", 1, 2), version=3)]
    yield "fuzz_npy", arrays
    yield "fuzz_npy_pipe", arrays
    yield "fuzz_netio", [network([2, 3, 1], "CrossEntropyCost"),
                         network([3, 2], "QuadraticCost", bare_bias=True),
                         network([2, 2, 2, 2], "log-likelihood"),
                         network([1, 1], "quadratic-linear")]
    for harness in ("fuzz_dump", "fuzz_record", "fuzz_checkpoint"):
        files = []
        for name in sorted(glob.glob(os.path.join(SEEDS, harness, "*"))):
            with open(name, "rb") as f:
                files.append(f.read())
        yield harness, files + [files[0][:-2], files[0] + b"x"]
    # Command lines: the arguments joined by NUL bytes (fuzz_options.c).
    yield "fuzz_options", [b"\0".join(a) for a in (
        [b"--sizes", b"784,30,10", b"--epochs=3", b"-s", b"7", b"--lambda", b"5e-3"],
        [b"--rate=10", b"--word", b"three", b"--flag", b"--cost", b"cross-entropy", b"FILE"],
        [b"--precision=float32", b"--activation", b"relu", b"--n", b"1000000000"],
        [b"--seed", b" -1"], [b"--epochs", b"0"], [b"--rate", b"0"], [b"--help"],
        [b"--sizes=2,0,1"], [b"--lambda", b"nan"], [b"a", b"b"],
        # --man-options on options without .arg (UBSan: a NULL read, fixed in options.c);
        # short options in a cluster and a value given to --help (cli_bad_option).
        [b"--ma"], [b"-zs"], [b"--help=x"])]


def main():
    out = sys.argv[1]
    for harness, files in seeds():
        os.makedirs(os.path.join(out, harness), exist_ok=True)
        for i, data in enumerate(files):
            with open(os.path.join(out, harness, "seed-%d" % i), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
