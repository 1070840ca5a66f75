#!/bin/sh
# Inputs that must not hang or be misnamed (issue 14): a FIFO without a writer as
# --load, --data's files, --net, --x, a record or a dump gives a one-line error and exit
# status 2 at once (each run under a 20 s timeout: 124 would be a hang); a directory as
# --load says so; a record without "network" names the key; a gzip IDX file with data
# after its stream is refused as idx.h promises; an empty FIFO (its writer sends nothing)
# is named and called empty, a non-empty file that is not JSON is not.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
. "$SRC/tests/synth-idx.sh"
tmpdir cli-inputs
cd "$T" || exit 99
synth_idx d 120 20 || exit 99
D="--data d --validation 20"
printf '{"sizes": [2, 2], "weights": [[[0.1, 0.2], [0.3, 0.4]]], "biases": [[[0.1], [0.2]]], "cost": "CrossEntropyCost"}' > net.json
printf '[[0.1], [0.2]]' > x.json
printf '[[0], [1]]' > y.json
"$GP" oracle --net net.json --x x.json --y y.json --out o.json || bad "oracle of the valid inputs"
mkfifo fifo || exit 99
GP_TIMEOUT=20 # each expect: a hang would be status 124
# ---- FIFOs without a writer ----
expect 2 "cannot load --load 'fifo'" train $D --epochs 1 --load fifo
expect 2 "cannot load --load 'fifo'" evaluate --data d --load fifo
expect 2 "fifo" oracle --net fifo --x x.json --y y.json --out o2.json
expect 2 "fifo" oracle --net net.json --x fifo --y y.json --out o2.json
expect 2 "fifo" oracle --net net.json --x x.json --y fifo --out o2.json
mkfifo fifo.npy || exit 99
expect 2 "fifo.npy" oracle --net net.json --x fifo.npy --y y.json --out o2.json
expect 2 "fifo" replay fifo
expect 2 "cannot load --resume 'fifo'" train --resume fifo
mkdir fd && cp d/* fd/ && rm fd/t10k-labels-idx1-ubyte && mkfifo fd/t10k-labels-idx1-ubyte
expect 2 "t10k-labels-idx1-ubyte: empty: no data" train --data fd --validation 20 --epochs 1
# ---- empty FIFOs: the writer opens and closes without data; one line names the file
# and says it is empty (not "invalid JSON near end of file" or "truncated") ----
empty_fifo() { # pattern fifo args...: a writer that sends nothing, then the run
    pat=$1 f=$2; shift 2
    (: > "$f") &
    w=$!
    expect 2 "$pat" "$@"
    kill $w 2>/dev/null # (a writer still blocked: the run never opened the FIFO)
    wait $w 2>/dev/null
}
E="empty: no data (an empty file, or a pipe whose writer sent nothing)"
empty_fifo "cannot load --load 'fifo': fifo: $E" fifo train $D --epochs 1 --load fifo
empty_fifo "fifo: $E" fifo oracle --net fifo --x x.json --y y.json --out o2.json
empty_fifo "fifo: $E" fifo oracle --net net.json --x fifo --y y.json --out o2.json
empty_fifo "fifo.npy: $E" fifo.npy oracle --net net.json --x fifo.npy --y y.json --out o2.json
empty_fifo "fifo: $E" fifo replay fifo
empty_fifo "cannot load --resume 'fifo': fifo: $E" fifo train --resume fifo
empty_fifo "t10k-labels-idx1-ubyte: $E" fd/t10k-labels-idx1-ubyte train --data fd --validation 20 --epochs 1
# A pipe with a writer still works (.npy and JSON read as they arrive).
st=$(cat net.json | timeout 20 "$GP" oracle --net /dev/stdin --x x.json --y y.json --out o3.json; echo $?)
[ "$st" = 0 ] && cmp -s o.json o3.json && ok "a pipe with its writer is read" || bad "pipe with a writer: $st"
# Devices are refused (a terminal would block): not a regular file or a pipe.
expect 2 "/dev/null: not a regular file or a pipe" evaluate --data d --load /dev/null
# ---- accurate words ----
mkdir adir
expect 2 "cannot load --load 'adir': adir: is a directory, not a file" train $D --epochs 1 --load adir
expect 2 "adir: is a directory" oracle --net adir --x x.json --y y.json --out o2.json
printf '{"format": "gradproof-record", "version": 1, "kind": "compare", "x": [[0.1]], "y": [[1]]}' > nonet.json
expect 2 "nonet.json: carries no \"network\"" replay nonet.json
# Bytes that are not JSON are not called empty: a .npy file, a UTF-16 network file.
printf '\223NUMPY\001\000' > one.npy
expect 2 "one.npy: not JSON: unable to decode byte 0x93" compare o.json one.npy
expect 2 "one.npy: not JSON: unable to decode byte 0x93" replay one.npy
printf '\377\376{\000' > net16.json
expect 2 "net16.json:1:0: invalid JSON: unable to decode byte 0xff" \
    oracle --net net16.json --x x.json --y y.json --out o2.json
# ---- gzip IDX with data after the gzip stream (zlib's gzread skips it; idx.h promises
# to refuse it) ----
mkdir gz && for f in d/*; do gzip -c "$f" > "gz/${f#d/}.gz"; done
"$GP" train --data gz --validation 20 --epochs 1 > /dev/null 2>&1 && ok "gzip MNIST files train" ||
    bad "gzip MNIST files do not train"
printf 'junk' >> gz/train-images-idx3-ubyte.gz
expect 2 "train-images-idx3-ubyte.gz: trailing data after the end of the gzip stream" \
    train --data gz --validation 20 --epochs 1
exit $fail
