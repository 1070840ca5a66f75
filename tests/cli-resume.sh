#!/bin/sh
# `gradproof train --checkpoint` and `--resume` (issue 14): training killed with SIGKILL
# at random moments (at least 20 kills), each time resumed from the checkpoint, ends
# with a --save file byte-for-byte equal to an uninterrupted run's and the same metrics
# (timing columns aside); a checkpoint is always whole (every resume loads it); a resume
# with other options is refused naming the option, unless the option may change.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
. "$SRC/tests/synth-idx.sh"
tmpdir cli-resume
cd "$T" || exit 99
synth_idx d 300 60 || exit 99

# Eta halves after every 3 epochs without improvement and the run stops at eta/128
# (epoch 22 of 30): the schedule's counters and the early stop are state to carry.
RUN="--data d --validation 60 --sizes 784,30,10 --epochs 30 --eta 2 --schedule 3 --seed 7
     --monitor-eval-cost --monitor-train-accuracy"
"$GP" train $RUN --save ref.json --metrics ref.csv > ref.out 2>&1 || bad "reference run"
grep -q 'stopping after epoch 22: eta has dropped' ref.out && ok "reference run stops at epoch 22" ||
    bad "reference run: $(tail -2 ref.out)"
# The metrics without their timing columns (seconds, eval_seconds).
untimed() { cut -d, -f1,2,4-11 "$1"; }

# ---- the kill/resume chain: kill at a random moment, resume (or start again when no
# checkpoint exists yet), alternate one and two threads, until 20 kills have landed;
# then let it finish. A run that finished before its kill is compared and the chain
# starts again. ----
seed=${GP_RESUME_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# kill moments from seed $seed (GP_RESUME_SEED=$seed reproduces them)"
kills=0 trial=0 finished=0 resumes=0
REF=ref # the uninterrupted run that chains are compared with: $REF.json, $REF.csv
check_final() { # the outputs of a chain that ran to its end
    if cmp -s out.json $REF.json && [ "$(untimed out.csv)" = "$(untimed $REF.csv)" ]; then
        finished=$((finished + 1))
    else bad "chain $finished: final network or metrics differ from the uninterrupted run"; fi
    rm -f ck.json out.json out.csv
}
# (Until the chain in progress has a checkpoint, so that the last chain is resumed.)
while { [ $kills -lt 20 ] || [ ! -e ck.json ]; } && [ $trial -lt 200 ]; do
    trial=$((trial + 1))
    delay=$(awk -v s="$seed" -v t="$trial" 'BEGIN { srand(s * 1000 + t); printf "%.3f", 0.05 + rand() * 1.2 }')
    th=$((trial % 2 + 1))
    if [ -e ck.json ]; then
        "$GP" train --resume ck.json --threads $th > run.out 2> run.err &
        resumes=$((resumes + 1))
    else
        "$GP" train $RUN --threads $th --save out.json --metrics out.csv --checkpoint ck.json \
            > run.out 2> run.err &
    fi
    pid=$!
    sleep "$delay"
    kill -KILL $pid 2>/dev/null
    { wait $pid; } 2>/dev/null; st=$? # (no "Killed" from the shell)
    if [ $st -eq 137 ]; then kills=$((kills + 1))
    elif [ $st -eq 0 ]; then check_final
    else bad "trial $trial: exit $st: $(head -1 run.err)"; break; fi
done
while [ -e ck.json ]; do # finish the last chain
    "$GP" train --resume ck.json > run.out 2> run.err || { bad "final resume: $(head -1 run.err)"; break; }
    resumes=$((resumes + 1))
    check_final
done
[ $kills -ge 20 ] && [ $finished -ge 1 ] && [ $fail -eq 0 ] &&
    ok "$kills SIGKILLs in $trial runs, $resumes resumes: $finished chains ended bit-identical to the uninterrupted run" ||
    bad "$kills kills, $finished chains finished"

# ---- SIGTERM and SIGINT with --checkpoint: the run stops at the next mini-batch
# boundary, writes the state there (after its last whole epoch, or after mini-batch k
# of the cut epoch: gp_trainer_set_stop keeps the position), says so in one line and
# exits with 128 + the signal's number; the resume continues the cut epoch from batch
# k + 1, so that every chain ends bit-identical to the uninterrupted run (network and
# metrics rows), and the epoch lines are sane: the stopped run's last line is the
# epoch before the cut one, the resumed run's first is the cut one. At least 12 such
# stops, 3 of them during an epoch, one and two threads alternating. A run of the chain above spends most of its
# life outside epochs (its epochs on 240 images take well under a millisecond on a fast
# machine: CI once counted 2 mid-epoch stops in 80 runs), so these runs train on the
# same images 8 times over (2,340 after the validation set), with no early stop, and
# the signal comes a random fraction of two epochs' time (measured by their
# uninterrupted run) after the first epoch's line: most signals land inside an epoch on
# any machine, fast or loaded. ----
mkdir d8 && cp d/t10k-* d8/ || exit 99
{ printf '\000\000\010\003'; be32 2400; be32 28; be32 28; } > d8/train-images-idx3-ubyte
{ printf '\000\000\010\001'; be32 2400; } > d8/train-labels-idx1-ubyte
for i in 1 2 3 4 5 6 7 8; do
    tail -c +17 d/train-images-idx3-ubyte >> d8/train-images-idx3-ubyte
    tail -c +9 d/train-labels-idx1-ubyte >> d8/train-labels-idx1-ubyte
done
SRUN="--data d8 --validation 60 --sizes 784,30,10 --epochs 30 --eta 0.5 --seed 7"
"$GP" train $SRUN --save sref.json --metrics sref.csv > sref.out 2>&1 || bad "signal reference run"
epoch_s=$(awk -F, 'NR > 1 { s += $3; n++ } END { printf "%.4f", n ? s / n : 0.01 }' sref.csv)
echo "# signal runs: epochs of $epoch_s s"
REF=sref
rm -f ck.json out.json out.csv
stops=0 during=0 trial=0 before=$finished cut=
while { [ $stops -lt 12 ] || [ $during -lt 3 ]; } && [ $trial -lt 80 ]; do
    trial=$((trial + 1))
    th=$((trial % 2 + 1)) sig=TERM want=143
    [ $((trial % 3)) -eq 0 ] && sig=INT want=130
    delay=$(awk -v s="$seed" -v t="$trial" -v e="$epoch_s" 'BEGIN { srand(s * 13 + t); printf "%.4f", rand() * 2 * e }')
    : > run.out
    if [ -e ck.json ]; then
        "$GP" train --resume ck.json --threads $th > run.out 2> run.err &
    else
        "$GP" train $SRUN --threads $th --save out.json --metrics out.csv --checkpoint ck.json \
            --checkpoint-every 50 > run.out 2> run.err &
    fi
    pid=$!
    # (Once an epoch's line is out, the handler is in place: the wrapper has exec'd.)
    while ! grep -q '^epoch' run.out && kill -0 $pid 2>/dev/null; do sleep 0.01; done
    sleep "$delay"
    kill -$sig $pid 2>/dev/null
    { wait $pid; } 2>/dev/null; st=$?
    first=$(grep '^epoch' run.out | head -1 | cut -d' ' -f2) last=$(grep '^epoch' run.out | tail -1 | cut -d' ' -f2)
    if [ -n "$cut" ] && [ -n "$first" ] && [ "$first" != "$cut/30" ]; then
        bad "trial $trial: resumed after a stop during epoch $cut, its first line is epoch $first"; break
    fi
    [ -n "$first" ] && cut=
    if [ $st -eq 0 ]; then check_final; continue; fi
    line=$(head -1 run.err)
    if [ $st -eq $want ] && [ -e ck.json ] && [ "$(wc -l < run.err)" -eq 1 ] &&
        printf '%s' "$line" | grep -q "stopped by signal $((want - 128)) \(during epoch [0-9]* of 30; 'ck.json' holds the state after mini-batch [0-9]* of 234 of epoch [0-9]*\|after epoch [0-9]* of 30; 'ck.json' holds the state after epoch [0-9]*\): continue with --resume ck.json"; then
        stops=$((stops + 1))
        case $line in *during*)
            during=$((during + 1))
            e=$(printf '%s' "$line" | sed 's/.*during epoch \([0-9]*\) of.*/\1/')
            if [ -n "$last" ] && [ "$last" != "$((e - 1))/30" ]; then
                bad "trial $trial: stopped during epoch $e after the line of epoch $last"; break
            fi
            cut=$e
            [ -e mid.json ] || cp ck.json mid.json ;;
        esac
    else bad "SIG$sig trial $trial: exit $st: $line"; break; fi
done
while [ -e ck.json ]; do
    "$GP" train --resume ck.json > run.out 2> run.err || { bad "final resume: $(head -1 run.err)"; break; }
    check_final
done
[ $stops -ge 12 ] && [ $during -ge 3 ] && [ $finished -gt $before ] && [ $fail -eq 0 ] &&
    ok "$stops SIGTERM/SIGINT stops ($during during an epoch) in $trial runs: $((finished - before)) chains ended bit-identical to the uninterrupted run" ||
    bad "signal stops: $stops ($during during an epoch) in $trial runs, $((finished - before)) chains finished"
REF=ref

# ---- a cut epoch's seconds count both parts: a mid-epoch checkpoint keeps the seconds
# spent so far ("epoch_seconds" in its meta), and the resumed epoch's line and metrics
# row add them (1000 s planted here); a bad value is refused as an unusable file. ----
if [ -e mid.json ] && grep -q '"epoch_seconds": *[0-9]' mid.json; then
    ok "a checkpoint within an epoch keeps that epoch's seconds so far"
    sed 's/"epoch_seconds": *[-0-9.eE+]*/"epoch_seconds": 1000/' mid.json > mid1000.json
    "$GP" train --resume mid1000.json --epochs "$(($(sed -n 's/.*"epochs": *\([0-9]*\).*/\1/p' mid.json | head -1) + 1))" \
        --metrics mid.csv --save mid-out.json > mid.out 2>&1 || bad "resume of a planted checkpoint: $(head -1 mid.out)"
    row=$(tail -n 1 mid.csv | cut -d, -f3)
    line=$(grep '^epoch' mid.out | head -1)
    awk -v s="$row" 'BEGIN { exit !(s >= 1000 && s < 1100) }' &&
        printf '%s' "$line" | grep -q ' 10[0-9][0-9]\.[0-9][0-9] s$' &&
        ok "the resumed epoch counts the 1000 s before the stop: row $row s, line '$line'" ||
        bad "resumed epoch's seconds: row '$row', line '$line'"
    sed 's/"epoch_seconds": *[-0-9.eE+]*/"epoch_seconds": -1/' mid.json > midneg.json
    err=$("$GP" train --resume midneg.json 2>&1 >/dev/null); st=$?
    [ $st -eq 2 ] && printf '%s' "$err" | grep -q "midneg.json': its \"epoch_seconds\" is not" &&
        ok "a negative epoch_seconds is refused: $err" || bad "negative epoch_seconds: $st $err"
else bad "no mid-epoch checkpoint with epoch_seconds: $(grep -o '"meta".\{0,80\}' mid.json 2>/dev/null)"; fi

# ---- SIGTERM or SIGINT during a save leaves no temporary file (gp_atomic_cleanup in the
# CLI's handler): a checkpoint of [784,100,10] (about 1.7 MB of JSON, fsynced) every
# epoch, so most of a run is spent saving; 10 signals at random moments after the first
# save has begun (before, the libtool wrapper may still run, which ignores SIGINT in a
# background job). ----
# (A SIGKILL above may have left a checkpoint's temporary file: no handler can run then.)
rm -f ./*.tmp.*
left=0 signalled=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    sig=TERM; [ $((i % 2)) -eq 0 ] && sig=INT
    delay=$(awk -v s="$seed" -v t="$i" 'BEGIN { srand(s * 7 + t); printf "%.3f", rand() * 0.6 }')
    # (No schedule and many epochs: the signal, not the run's end, must stop it.)
    "$GP" train --data d --validation 60 --sizes 784,100,10 --epochs 10000 --eta 0.5 \
        --checkpoint big.json --save big.json.net > /dev/null 2>&1 &
    pid=$!
    while [ -z "$(ls | grep '^big\.json')" ] && kill -0 $pid 2>/dev/null; do sleep 0.02; done
    sleep "$delay"
    kill -$sig $pid 2>/dev/null
    { wait $pid; } 2>/dev/null; st=$?
    [ $st -eq 143 ] || [ $st -eq 130 ] && signalled=$((signalled + 1))
    [ -n "$(ls | grep '^big\.json.*\.tmp\.')" ] && left=$((left + 1))
    rm -f big.json*
done
[ $left -eq 0 ] && [ $signalled -ge 8 ] &&
    ok "SIGTERM/SIGINT: $signalled of 10 runs died of the signal, none left a *.tmp.* file" ||
    bad "signals: $left of 10 runs left a temporary file ($signalled died of the signal)"

# ---- options on --resume ----
"$GP" train $RUN --epochs 4 --checkpoint ck4.json --metrics m4.csv > /dev/null || bad "4 epochs"
cp ck4.json ck4.keep
expect 1 "--eta differs from the run of --resume 'ck4.json': only --epochs" train --resume ck4.json --eta 3
expect 1 "--sizes differs" train --resume ck4.json --sizes 784,20,10
expect 1 "--seed differs" train --resume ck4.json --seed 8
expect 1 "--batch differs" train --resume ck4.json --batch 20
expect 1 "--monitor-train-cost differs" train --resume ck4.json --monitor-train-cost
expect 1 "--metrics differs" train --resume ck4.json --metrics m4.jsonl
# Fewer epochs than done cannot be had: it used to save the 4-epoch network, exit 0.
expect 1 "--epochs 2: the run of --resume 'ck4.json' has done 4 epochs" train --resume ck4.json --epochs 2 --save e2.json
# A best accuracy that counts no images of the set (an edited file) was taken as is:
# "best test accuracy 1e300/60 (1.7e300%)".
sed 's/"best":[-0-9.e+]*,/"best":1e300,/' ck4.json > ckb.json
expect 2 "cannot continue --resume 'ckb.json': its best accuracy 1e+300 is not a count of the 60 test images" \
    train --resume ckb.json --epochs 5
# A recorded command line that does not parse: one line, not the parser's error (with
# its usage hint) before it.
sed 's/"argv":\[/"argv":["--bogus",/' ck4.json > cka.json
expect 2 "cannot load --resume 'cka.json': its command line does not parse" train --resume cka.json
n=$("$GP" train --resume cka.json 2>&1 >/dev/null | wc -l)
[ "$n" -eq 1 ] && ok "an unparsable checkpoint command line: one line" ||
    bad "an unparsable checkpoint command line: $n lines"
expect 2 "cannot load --resume 'nothing.json'" train --resume nothing.json
expect 2 "cannot load --resume 'ref.json': ref.json: not a checkpoint" train --resume ref.json
cmp -s ck4.json ck4.keep && ok "refused resumes leave the checkpoint alone" || bad "checkpoint changed"
# The same values spelled otherwise, and the options that may change.
"$GP" train --resume ck4.json --eta 2.0 --epochs 6 --threads 1 --metrics m6.csv --save s6.json \
    --checkpoint-every 2 > r6.out 2>&1 &&
    [ "$(grep -c '^epoch [56]/6' r6.out)" -eq 2 ] && [ "$(wc -l < m6.csv)" -eq 7 ] && [ -s s6.json ] &&
    ok "--eta 2.0 = 2; --epochs, --threads, --metrics name, --save, --checkpoint-every may change" ||
    bad "allowed changes: $(head -2 r6.out)"
"$GP" train $RUN --epochs 6 --threads 1 --save s6ref.json > /dev/null && cmp -s s6.json s6ref.json &&
    ok "4 epochs + resume to 6 = 6 epochs, byte for byte" || bad "4 + 2 epochs differ from 6"
expect 1 "cannot write --checkpoint 'no/such/ck.json'" train $RUN --checkpoint no/such/ck.json
# A checkpoint is replaced at each save: onto standard output every save would follow the
# last, and no resume could read the stream.
expect 1 "invalid --checkpoint '/dev/stdout': each save replaces the file" \
    train $RUN --checkpoint /dev/stdout
# The evaluation set changed under --data since the checkpoint: its best accuracy counts
# 60 images, so 30 now would print 60/30 (200.00%); refused as an input that does not fit.
synth_idx dv 300 60 && "$GP" train --data dv --validation 60 --epochs 1 --checkpoint ckv.json \
    > /dev/null || bad "checkpoint on dv"
rm -r dv && synth_idx dv 300 30 || exit 99
expect 2 "cannot continue --resume 'ckv.json': its test set had 60 images, this run's has 30" \
    train --resume ckv.json --epochs 2
exit $fail
