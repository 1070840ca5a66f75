#!/bin/sh
# `gradproof train` checks the free space of its outputs before training (issue 14):
# --save, --checkpoint and --metrics that land on one file system need room together
# (gp_atomic_space_all sums them by the st_dev of their directories). On a 1.5 MiB
# tmpfs, a --save and a --checkpoint of [784,50,10] (bounds of about 0.95 MB each) fit
# alone, are refused together before any epoch (one line naming the sum and the other
# output, exit status 1, nothing written) and fit when the checkpoint goes to another
# file system; --metrics counts too. Mounting needs root: skipped (77) where it fails.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
tmpdir cli-space
mkdir "$T/mnt" || exit 99
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=1536k tmpfs "$T/mnt" 2> /dev/null; then
    skip "cannot mount a tmpfs here (needs root)"
fi
trap 'umount "$T/mnt"; rm -rf "$T"' EXIT
cd "$T" || exit 99
. "$SRC/tests/synth-idx.sh"
synth_idx d 300 60 || exit 99
S="--data d --validation 60 --sizes 784,50,10 --epochs 1"

# expect_train status pattern description args...: `gradproof train $S ARGS` exits with
# STATUS and the first line of stderr matches PATTERN (any line when empty)
expect_train() {
    want=$1 pat=$2 what=$3
    shift 3
    out=$("$GP" train $S "$@" 2> err); st=$?
    if [ $st -eq "$want" ] && { [ -z "$pat" ] || head -1 err | grep -q -- "$pat"; }; then ok "$what: $(head -1 err)"
    else bad "$what: status $st (expected $want), said $(head -1 err)"; fi
}
expect_train 0 "" "--save alone fits" --save mnt/s.json
rm -f mnt/*
expect_train 0 "" "--checkpoint alone fits" --checkpoint mnt/ck.json
rm -f mnt/*
expect_train 1 "^gradproof: cannot write --save 'mnt/s.json': not enough space: with the 1 other output on its file system the files may take [0-9]* bytes, [0-9]* are available$" \
    "--save and --checkpoint on one file system are refused together" \
    --save mnt/s.json --checkpoint mnt/ck.json
[ -z "$out" ] && [ -z "$(ls mnt)" ] && ok "refused before any epoch, nothing written" ||
    bad "refused run printed '$out', left $(ls mnt)"
rm -f mnt/*
expect_train 0 "" "--save on the tmpfs, --checkpoint elsewhere: fits" --save mnt/s.json --checkpoint ck.json
rm -f mnt/*
# --metrics: 640 bytes a row at most, 1000 epochs (early stopping ends a run that
# should have been refused)
expect_train 1 "^gradproof: cannot write --save 'mnt/s.json': not enough space: with the 1 other output" \
    "--save and 1000 epochs of --metrics are refused together" \
    --save mnt/s.json --metrics mnt/m.csv --epochs 1000 --early-stop 1
expect_train 0 "" "--metrics alone fits" --metrics mnt/m.csv --epochs 1000 --early-stop 1
exit $fail
