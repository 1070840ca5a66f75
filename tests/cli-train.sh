#!/bin/sh
# CLI tests of `gradproof train` and `gradproof evaluate` on a tiny synthetic MNIST that
# this script writes itself (no network, no real MNIST): option errors, an end-to-end
# run, save -> load -> evaluate, a hand-written network2.py JSON file, atomic outputs.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
EX=$SRC/examples
. "$SRC/tests/synth-idx.sh"
tmpdir cli-train
cd "$T" || exit 99

# ---- synthetic IDX files (tests/synth-idx.sh) ----
synth_idx d 360 60 || exit 99
[ "$(wc -c < d/train-images-idx3-ubyte)" -eq $((16 + 360 * 784)) ] &&
    ok "synthetic IDX files written" || bad "synthetic IDX files written"
D="--data d --validation 60"
DE="--data d" # evaluate of the test set: --validation is train's split

# ---- --help lists every option with its default ----
help=$("$GP" train --help)
for o in '--data=DIR' '--validation=N' '--sizes=N0' '--cost=NAME' '--init=KIND' '--load=FILE' \
         '--seed=S' '--eta=REAL' '--lambda=REAL' '--l1=REAL' '--batch=M' '--epochs=E' \
         '--early-stop=N' '--schedule=N' '--eval=SET' \
         '--monitor-eval-cost' '--monitor-train-accuracy' '--monitor-train-cost' \
         '--metrics=FILE' '--save=FILE' '--threads=N'; do
    printf '%s\n' "$help" | grep -q -- "$o" || bad "train --help lacks $o"
done
printf '%s\n' "$help" | grep -q '\[784,30,10\]' && printf '%s\n' "$help" | grep -q '\[cross-entropy\]' &&
    ok "train --help lists options and defaults" || bad "train --help defaults"
"$GP" evaluate --help | grep -q -- '--load=FILE' && ok "evaluate --help" || bad "evaluate --help"

# ---- bad input: a first stderr line naming the problem, --save untouched, and the exit
# status of doc/gradproof.1: 1 for a usage error, 2 for an unusable input file ----
echo keep > kept.json
EXPECT_ALSO='[ "$(cat kept.json)" = keep ]' # (lib.sh's expect_error, expect_input)
S="--save kept.json"
expect_error "invalid --eta '-1'" train $D $S --eta -1
expect_error "invalid --eta '0'" train $D $S --eta 0
# (-1 was "must be between 0 and 1e+06", which 0 is refused from)
expect_error "invalid --eta '-1': must be greater than 0 and at most 1e+06" train $D $S --eta -1
expect_error "invalid --eta '-1': must be greater than 0 and at most 1e+06" sweep $D --eta 0.1,-1
expect_error "invalid --eta 'abc'" train $D $S --eta abc
expect_error "invalid --eta 'inf'" train $D $S --eta inf
expect_error "invalid --sizes '784,,10'" train $D $S --sizes 784,,10
expect_error "invalid --sizes '784,30,'" train $D $S --sizes 784,30,
expect_error "invalid --sizes '784'" train $D $S --sizes 784
expect_error "invalid --sizes '784,-3,10'" train $D $S --sizes 784,-3,10
expect_error "invalid --batch '0'" train $D $S --batch 0
expect_error "invalid --batch '2.5'" train $D $S --batch 2.5
expect_error "invalid --epochs '0'" train $D $S --epochs 0
expect_error "invalid --lambda '-0.1'" train $D $S --lambda -0.1
expect_error "invalid --l1 'x'" train $D $S --l1 x
expect_error "invalid --seed '-1'" train $D $S --seed -1
expect_error "invalid --seed '2147483648'" train $D $S --seed 2147483648
expect_error "invalid --cost 'hinge'" train $D $S --cost hinge
expect_error "invalid --init 'small'" train $D $S --init small
expect_error "invalid --eval 'train'" train $D $S --eval train
expect_error "invalid --threads '0'" train $D $S --threads 0
expect_error "invalid --layer1 'fast': expected auto, sparse, or dense" train $D $S --layer1 fast
expect_error "invalid --eval 'foo': expected test or validation\$" train $D $S --eval foo
expect_error "invalid --early-stop 'x'" train $D $S --early-stop x
expect_error "invalid --metrics 'm.txt'" train $D $S --metrics m.txt
expect_error "invalid --data ''" train --data '' --validation 60 $S
expect_error "unknown option '--bogus'" train $D $S --bogus
expect_error "option '--eta' needs a value" train $D $S --eta
expect_error "unexpected argument 'extra'" train $D $S extra
# An output naming a --data file replaced the training images with the saved network.
cp d/train-images-idx3-ubyte images.keep
expect_error "--save 'd/train-images-idx3-ubyte' would replace the input --data" \
    train $D --epochs 1 --save d/train-images-idx3-ubyte
expect_error "--checkpoint './d/t10k-labels-idx1-ubyte' would replace the input --data" \
    train $D --epochs 1 --checkpoint ./d/t10k-labels-idx1-ubyte
expect_error "--csv 'd/train-images-idx3-ubyte' would replace the input --data" \
    sweep $D --epochs 1 --seeds 1 --csv d/train-images-idx3-ubyte
cmp -s d/train-images-idx3-ubyte images.keep && ok "the --data files are left alone" ||
    { bad "--save or --csv replaced a --data file"; cp images.keep d/train-images-idx3-ubyte; }
# Strict numbers: strtoul would skip the space and take the sign (" -1" = 2^64 - 1),
# strtod the space and hexadecimal.
expect_error "invalid --seed ' -1'" train $D $S --seed " -1"
expect_error "invalid --seed '+1'" train $D $S --seed +1
expect_error "invalid --seed ' 1'" train $D $S --seed " 1"
expect_error "invalid --batch ' 5'" train $D $S --batch " 5"
expect_error "invalid --epochs '0x10'" train $D $S --epochs 0x10
expect_error "invalid --validation '-60'" train --data d $S --validation -60
expect_error "invalid --eta ' 0.5'" train $D $S --eta " 0.5"
expect_error "invalid --eta '0x1p-1'" train $D $S --eta 0x1p-1
# An underflow to a subnormal is a rounding, not "not a finite number": a tiny --lambda
# trains. A non-zero value that rounds to 0 is refused (it was 0, and --lambda -1e-400
# a -0 that passed the range check).
expect_error "invalid --eta '1e-400': not zero, but rounds to 0" train $D $S --eta 1e-400
expect_error "invalid --lambda '-1e-400': not zero, but rounds to 0" train $D $S --lambda -1e-400
expect_error "invalid --l1 '1e-400': not zero, but rounds to 0" train $D $S --l1 1e-400
expect_error "invalid --lambda '1e-999': not zero, but rounds to 0" sweep $D --epochs 1 --lambda 0,1e-999 --csv sw.csv
"$GP" train $D --epochs 1 --lambda 1e-310 > /dev/null && ok "--lambda 1e-310 (subnormal) trains" ||
    bad "--lambda 1e-310 refused"
expect_error "invalid --sizes '784, 30,10'" train $D $S --sizes "784, 30,10"
expect_error "invalid --sizes '784,+30,10'" train $D $S --sizes 784,+30,10
expect_error "invalid --every ' 2'" slowdown --every " 2"
expect_error "invalid --threads '-1'" evaluate $DE --load kept.json --threads -1
# Shared options are one definition: the same limits and words in every command.
expect_error "invalid --lambda '2e12': must be between 0 and 1e+12" train $D $S --lambda 2e12
expect_error "invalid --lambda '2e12': must be between 0 and 1e+12" evaluate $DE --load kept.json --lambda 2e12
expect_error "invalid --threads '257': must be between 1 and 256" train $D $S --threads 257
expect_error "invalid --threads '257': must be between 1 and 256" evaluate $DE --load kept.json --threads 257
expect_error "invalid --epochs '1000001': must be between 1 and 1000000" train $D $S --epochs 1000001
expect_error "invalid --epochs '1000001': must be between 1 and 1000000" slowdown --epochs 1000001
# network2.py's monitor_evaluation_accuracy is always on: no option for it.
expect_error "unknown option '--monitor-eval-accuracy'" train $D $S --monitor-eval-accuracy
# Data that does not fit the network is an unusable input (status 2, one line) whether
# the network comes from --sizes or from --load (below): doc/gradproof.1, EXIT STATUS.
expect_input "--sizes '784,30,9': .*output layer 10" train $D $S --sizes 784,30,9
expect_input "--sizes '100,10': the input layer must have 784" train $D $S --sizes 100,10
expect_input "cannot load MNIST from --data 'nowhere'" train --data nowhere $S
# the default --validation 10000 leaves none of the 360 images: an option error
expect_error "invalid --validation '10000': d: 360 training images leave none" train --data d $S
expect_error "weight decay factor" train $D $S --eta 1 --lambda 300
expect_input "cannot load --load 'missing.json'" train $D $S --load missing.json
expect_input "cannot load --load 'missing.json'" evaluate --data d --load missing.json
expect_error "--sizes cannot be combined with --load" train $D $S --load kept.json --sizes 784,10
expect_error "missing --load" evaluate $DE
expect_error "invalid --eval 'all'" evaluate $DE --eval all --load kept.json
# Outputs that cannot be written are refused before any epoch (issue 14): a directory
# as the path, a missing parent, a directory without write permission (for root, which
# ignores permissions, /proc); exit status 1 (doc/gradproof.1: unwritable output),
# nothing trained (no epoch line on stdout).
mkdir outdir.csv rodir && chmod 555 rodir
if touch rodir/probe 2>/dev/null; then rm -f rodir/probe; ro=/proc; else ro=rodir; fi
for o in save metrics checkpoint; do
    for p in outdir.csv no/such/dir/out.csv $ro/out.csv; do
        out=$("$GP" train $D --epochs 1 --$o "$p" 2> unw.err); st=$?
        if [ $st -eq 1 ] && [ -z "$out" ] && head -1 unw.err | grep -q "^gradproof: cannot write --$o '$p': "; then
            ok "--$o $p refused before training: $(head -1 unw.err)"
        else bad "--$o $p: status $st, said $(head -1 unw.err), printed $out"; fi
    done
done
chmod 755 rodir
# An existing output that is not a regular file (a FIFO here, a device for root) is
# refused at once: the rename would have replaced it with a regular file.
mkfifo out.fifo || exit 99
also=$EXPECT_ALSO EXPECT_ALSO='[ -p out.fifo ]'
expect_error "cannot write --save 'out.fifo': not a regular file" train $D --epochs 1 --save out.fifo
expect_error "cannot write --csv 'out.fifo': not a regular file" slowdown --epochs 2 --csv out.fifo
EXPECT_ALSO=$also
# Two outputs naming one file (the last written would replace the other) are refused
# before any work, however the name is spelled.
expect_error "--save 'same.out' and --checkpoint './same.out' are the same file" train $D --epochs 1 --save same.out --checkpoint ./same.out
expect_error "--metrics 'same.csv' and --checkpoint 'd/../same.csv' are the same file" train $D --epochs 1 --metrics same.csv --checkpoint d/../same.csv
expect_error "--csv 'same.png' and --plot 'same.png' are the same file" slowdown --epochs 2 --csv same.png --plot same.png
[ -z "$(ls | grep '^same\.')" ] && ok "nothing written for the same file twice" ||
    bad "written for the same file twice: $(ls | grep '^same\.')"
# --checkpoint-every without --checkpoint was ignored: no checkpoint was written.
expect_error "--checkpoint-every goes with --checkpoint" train $D --epochs 1 --checkpoint-every 2
# No room (issue 14): 62 hidden layers 1,000,000 wide (GP_MAX_WIDTH) make at least
# 62 x 10^12 x 24 bytes = 1.5 PB of JSON, more than any disk has free: --save and
# --checkpoint are refused by the free-space check, after the data is read and before
# the network is allocated (it could not be) or any epoch runs; exit status 1.
big=784$(printf ',1000000%.0s' $(seq 62)),10
for o in save checkpoint; do
    out=$("$GP" train $D --epochs 1 --sizes "$big" --$o big.json 2> big.err); st=$?
    if [ $st -eq 1 ] && [ -z "$out" ] && [ "$(wc -l < big.err)" -eq 2 ] &&
        head -1 big.err | grep -q "^gradproof: cannot write --$o 'big.json': not enough space: the file may take [0-9]* bytes, [0-9]* are available$"; then
        ok "--$o of a 1.5 PB network refused before training: $(head -1 big.err)"
    else bad "--$o of a 1.5 PB network: status $st, said $(head -1 big.err), printed $out"; fi
done
# A corrupt (truncated) image file and a corrupt network file.
mkdir bad && cp d/* bad/ && head -c 5000 d/t10k-images-idx3-ubyte > bad/t10k-images-idx3-ubyte
expect_input "cannot load MNIST from --data 'bad'.*truncated" train --data bad --validation 60 $S
printf '{"sizes": [784, 10], "weights": [[1, 2]' > broken.json
expect_input "cannot load --load 'broken.json'" train $D $S --load broken.json
expect_input "cannot load --load 'broken.json'" evaluate $DE --load broken.json
expect_input "cannot load --load 'kept.json'" evaluate $DE --load kept.json
[ -z "$(ls | grep '\.tmp')" ] && ok "no temporary files left by failures" ||
    bad "temporary files left: $(ls | grep '\.tmp')"

# ---- end to end: train, save, metrics ----
out=$("$GP" train $D --sizes 784,20,10 --epochs 4 --batch 10 --eta 0.5 --seed 3 \
    --monitor-eval-cost --monitor-train-accuracy --monitor-train-cost \
    --save net.json --metrics m.csv 2>&1); st=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ $st -eq 0 ] && ok "train exits 0" || bad "train exits 0 (status $st)"
[ "$(printf '%s\n' "$out" | grep -c '^epoch [1-4]/4  test accuracy [0-9]*/60 (.*%)  test cost .*  training accuracy [0-9]*/300 .*  training cost .* s$')" -eq 4 ] &&
    ok "one progress line per epoch" || bad "one progress line per epoch"
last=$(printf '%s\n' "$out" | grep '^epoch 4/4' | sed 's/.*test accuracy \([0-9]*\)\/60.*/\1/')
[ "${last:-0}" -ge 54 ] && ok "synthetic digits learnt: $last/60 >= 90 %" || bad "accuracy $last/60 < 90 %"
[ -s net.json ] && grep -q '"sizes"' net.json && ok "--save wrote network2.py JSON" || bad "--save"
[ "$(wc -l < m.csv)" -eq 5 ] && head -1 m.csv | grep -q '^epoch,eta,seconds,eval_correct' &&
    ok "--metrics CSV: header + 4 rows" || bad "--metrics CSV"

# ---- hidden activations: one per hidden layer, saved in the file, fixed by --load ----
expect_error "invalid --activation 'swish'" train $D $S --activation swish
expect_error "invalid --activation 'relu,tanh': 2 names for 1 hidden layer " train $D $S --activation relu,tanh
expect_error "invalid --activation 'leaky-relu:2'" train $D $S --activation leaky-relu:2
# A slope that underflows to 0 is not relu's 0 (it trained as relu).
expect_error "invalid --activation 'leaky-relu:1e-400'" train $D $S --activation leaky-relu:1e-400
expect_error "--activation 'relu': --sizes '784,10' has no hidden layer" train $D $S --sizes 784,10 --activation relu
# An empty item of a comma list is refused, not skipped (strtok would skip it).
expect_error "invalid --activation 'relu,,tanh': an empty item" train $D $S --sizes 784,20,12,10 --activation relu,,tanh
expect_error "invalid --activation ',relu': an empty item" train $D $S --activation ,relu
expect_error "invalid --eta '0.1,': an empty item" sweep $D --epochs 1 --eta 0.1, --csv sw.csv
expect_error "invalid --lambda '0,,1': an empty item" sweep $D --epochs 1 --lambda 0,,1 --csv sw.csv
expect_error "invalid --seeds ',1': an empty item" sweep $D --epochs 1 --seeds ,1 --csv sw.csv
# train takes "--lamb" for --lambda (getopt_long): passed on, sweep's own --lambda 0
# would have won in silence; "--sav" would have saved every run to one file.
expect_error "option '--lamb' abbreviates --lambda: give sweep's options" sweep $D --epochs 1 --lamb=5 --csv sw.csv
expect_error "option '--sav' abbreviates --save" sweep $D --epochs 1 --sav sw.json --csv sw.csv
# --checkpoint and --resume would serve every run with one file (each run overwrote the
# checkpoint; a resume always failed on --metrics).
expect_error "--checkpoint cannot be used with sweep" sweep $D --epochs 1 --checkpoint sw.ck --csv sw.csv
expect_error "--resume cannot be used with sweep" sweep $D --epochs 1 --resume=sw.ck --csv sw.csv
# A seed or value listed twice would count as two independent runs in the statistics.
expect_error "invalid --seeds: seed 2 is listed twice" sweep $D --epochs 1 --seeds 1-3,2 --csv sw.csv
expect_error "invalid --eta: 0.1 and 0.10 are the same value" sweep $D --epochs 1 --eta 0.1,0.10 --csv sw.csv
# Its errors, those of train's options included, point to sweep's help, not train's.
for c in "--bogus" "--epochs 0" "--sizes 784,0,10" "--seeds 4-2"; do
    "$GP" sweep $D $c --csv sw.csv > /dev/null 2> sw.err; st=$?
    [ $st -eq 1 ] && [ "$(sed -n 2p sw.err)" = "Try 'gradproof sweep --help'." ] &&
        ok "sweep $c: the hint names sweep's help" || bad "sweep $c: status $st, said $(cat sw.err)"
done
expect_error "--activation cannot be combined with --load" train $D $S --load kept.json --activation relu
aout=$("$GP" train $D --sizes 784,20,12,10 --activation relu,leaky-relu:0.05 --epochs 3 \
    --batch 10 --eta 0.1 --seed 3 --save act.json 2>&1); st=$?
printf '%s\n' "$aout" | sed 's/^/# /'
alast=$(printf '%s\n' "$aout" | grep '^epoch 3/3' | sed 's/.*test accuracy \([0-9]*\)\/60.*/\1/')
[ $st -eq 0 ] && [ "${alast:-0}" -ge 48 ] && ok "train --activation relu,leaky-relu:0.05 learns: $alast/60" ||
    bad "train --activation relu,leaky-relu (status $st, accuracy ${alast:-none}/60)"
grep -q '"activations": *\["relu", *"leaky-relu:0.05"\]' act.json &&
    ok "--save writes the activations" || bad "--save activations"
! grep -q activations net.json && ok "an all-sigmoid network's file has no activations key" ||
    bad "activations key in a sigmoid network's file"
"$GP" evaluate --data d --load act.json >/dev/null && ok "evaluate --load of a relu network" ||
    bad "evaluate --load of a relu network"
sed 's/"relu"/"swish"/' act.json > badact.json
expect_input "cannot load --load 'badact.json'.*activations\[0\]" evaluate --data d --load badact.json

# A file written by `train --save` loads with network2.py's load() logic (examples/
# network2_load.py: json.load, the cost class by name, np.array shapes) when numpy is here
# (the README's test command installs it, so CI always runs this).
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    /usr/bin/python3 "$EX/network2_load.py" net.json >/dev/null &&
        ok "train --save file loads with network2.py's load()" || bad "network2.py load() of train --save file"
else
    echo "ok - # SKIP network2.py load() of train --save file: no numpy"
fi

# ---- save -> load -> evaluate round trip ----
# evaluate --eval test reads only the t10k pair: a directory holding just those gives
# the full directory's result; the other sets still need the training files.
mkdir -p t10k-only && cp d/t10k-* t10k-only/
full=$("$GP" evaluate --data d --load net.json | head -n 1 | sed 's/  *[0-9.]* s$//')
only=$("$GP" evaluate --data t10k-only --load net.json | head -n 1 | sed 's/  *[0-9.]* s$//')
[ -n "$full" ] && [ "$full" = "$only" ] && ok "evaluate with only the t10k files: $only" ||
    bad "evaluate with only the t10k files: '$only', with all four: '$full'"
expect_input "t10k-only: neither train-images-idx3-ubyte" evaluate --data t10k-only \
    --load net.json --eval validation
ev=$("$GP" evaluate --data d --load net.json); st=$?
[ $st -eq 0 ] && printf '%s\n' "$ev" | head -1 | grep -q "^test accuracy $last/60 " &&
    ok "evaluate reproduces the last epoch's accuracy ($last/60)" || bad "evaluate: $ev"
[ "$(printf '%s\n' "$ev" | grep -c '^     [0-9] ')" -eq 10 ] && ok "evaluate prints a 10x10 confusion matrix" ||
    bad "confusion matrix"
# --validation splits the training file: it sizes --eval validation and training, and is
# refused with --eval test (it changed nothing there, silently).
expect_error "--validation goes with --eval validation or training: it splits the training file" \
    evaluate --data d --load net.json --validation 60
expect_error "--validation goes with --eval validation or training" evaluate --data d \
    --load net.json --eval test --validation 100
# A --validation as large as the training file is an option error (status 1, as any bad
# option value), in evaluate and train alike; it was unusable input (status 2).
expect_error "invalid --validation '360': d: 360 training images leave none" evaluate \
    --data d --load net.json --eval training --validation 360
expect_error "invalid --validation '70000': d: 360 training images leave none" train \
    --data d --validation 70000 $S
for v in "validation 60 60" "validation 100 100" "training 60 300" "training 100 260"; do
    set -- $v
    "$GP" evaluate --data d --load net.json --eval "$1" --validation "$2" | head -n 1 |
        grep -q "^$1 accuracy [0-9]*/$3 " && ok "evaluate --eval $1 --validation $2: $3 images" ||
        bad "evaluate --eval $1 --validation $2: not $3 images"
done
trace=$(printf '%s\n' "$ev" | awk '/^     [0-9] /{ s += $($1 + 2) } END { print s }')
[ "$trace" = "$last" ] && ok "confusion trace = correct count" || bad "trace $trace != $last"
"$GP" train $D --load net.json --epochs 1 --save net2.json --metrics m.jsonl > /dev/null &&
    grep -q '^{"epoch": 1, "eta": 0.5' m.jsonl && [ -s net2.json ] &&
    ok "--load continues training; JSON lines metrics" || bad "--load continue"
# Same seed, same data: the same numbers.
out2=$("$GP" train $D --sizes 784,20,10 --epochs 4 --seed 3 2>&1)
r2=$(printf '%s\n' "$out2" | grep '^epoch 4/4' | sed 's/ *[0-9.]* s$//')
[ -n "$r2" ] && [ "$r2" = \
  "$(printf '%s\n' "$out" | grep '^epoch 4/4' | sed 's/  test cost.*//')" ] &&
    ok "runs are reproducible from --seed" || bad "runs are not reproducible"

# ---- a hand-written network2.py save() file: [784, 1, 10], all weights 0, output bias 5
# on digit 3, so every image is classified as 3 (6 of the 60 test images are 3s). ----
zeros=$(awk 'BEGIN { for (i = 0; i < 784; i++) printf "%s0.0", i ? ", " : ""; }')
cat > hand.json <<EOF
{"sizes": [784, 1, 10],
 "weights": [[[$zeros]], [[0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0]]],
 "biases": [[[0.0]], [[0.0], [0.0], [0.0], [5.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0]]],
 "cost": "CrossEntropyCost"}
EOF
ev=$("$GP" evaluate --data d --load hand.json); st=$?
[ $st -eq 0 ] && printf '%s\n' "$ev" | head -1 | grep -q '^test accuracy 6/60 (10.00%)' &&
    ok "network2.py JSON loads and predicts 3 everywhere" || bad "hand-written JSON: $ev"
col3=$(printf '%s\n' "$ev" | awk '/^     [0-9] /{ s += $5 } END { print s }')
[ "$col3" = 60 ] && ok "confusion column 3 holds all 60" || bad "column 3 = $col3"
"$GP" train $D --load hand.json --epochs 2 --eta 0.5 > /dev/null && ok "train --load hand.json" ||
    bad "train --load hand.json"
cp hand.json hand784.json
# Finite weights whose sums overflow: weights 1e308 into an identity hidden unit make
# a = inf, and the output layer's zero weights 0 * inf = NaN; evaluate printed "cost
# -nan" with status 0.
huge=$(awk 'BEGIN { for (i = 0; i < 784; i++) printf "%s1e308", i ? ", " : ""; }')
sed -e "s/\[\[\[$zeros\]\]/[[[$huge]]/" -e 's/"cost"/"activations": ["identity"], "cost"/' \
    hand.json > nan.json
expect_input "network of --load 'nan.json': its cost on the test set is not finite" \
    evaluate $DE --load nan.json
"$GP" evaluate $DE --load nan.json 2>/dev/null | grep -qi nan && bad "evaluate printed a NaN" ||
    ok "evaluate prints no NaN"
# train refuses it as evaluate does when it computes a cost (status 2 before any step);
# it was 'training diverged at epoch 1 ... try a smaller --eta', status 3.
expect_input "network of --load 'nan.json': its cost on the test set is not finite" \
    train $D --load nan.json --epochs 1 --monitor-eval-cost
expect_input "network of --load 'nan.json': its cost on the validation set is not finite" \
    train $D --load nan.json --epochs 1 --monitor-train-cost --eval validation
# ... and when no cost is printed or written (the evaluation set's cost is computed
# anyway; it was status 3, "training diverged").
expect_input "network of --load 'nan.json': its cost on the test set is not finite" \
    train $D --load nan.json --epochs 1
expect_input "cannot load MNIST from --data 'nowhere'" evaluate --data nowhere --load hand.json
# A valid network file whose input layer does not fit the images: status 2 (input).
cat > small.json <<EOF
{"sizes": [2, 10], "weights": [[[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]],
 "biases": [[[0], [0], [0], [0], [0], [0], [0], [0], [0], [0]]], "cost": "CrossEntropyCost"}
EOF
expect_input "network of --load 'small.json': the input layer must have 784" evaluate $DE --load small.json
expect_input "network of --load 'small.json': the input layer must have 784" train $D $S --load small.json
# An input that does not fit gets one line, without the usage hint (doc/gradproof.1).
for c in "evaluate $DE --load small.json" "train $D --load small.json" "train $D --sizes 2,10"; do
    n=$("$GP" $c 2>&1 >/dev/null | wc -l)
    [ "$n" -eq 1 ] && ok "$c: a network that does not fit: one line" ||
        bad "$c: a network that does not fit: $n lines"
done
# The shared -s of --seed: the same run as --seed.
[ "$("$GP" train $D --sizes 784,10 --epochs 1 -s 5 --threads 1 | sed 's/ *[0-9.]* s$//')" = \
  "$("$GP" train $D --sizes 784,10 --epochs 1 --seed 5 --threads 1 | sed 's/ *[0-9.]* s$//')" ] &&
    ok "-s S is --seed S" || bad "-s S differs from --seed S"
# --layer1: each path trains (status 0, a saved network), the two paths' networks differ
# (they sum in other orders: the option reaches the trainer), and auto's network is, to
# the byte, the one of the path it chose.
for l1 in auto sparse dense; do
    "$GP" train $D --sizes 784,12,10 --epochs 1 --threads 2 --layer1 $l1 --save l1-$l1.json \
        > /dev/null || bad "--layer1 $l1: training failed"
done
if ! cmp -s l1-sparse.json l1-dense.json &&
    { cmp -s l1-auto.json l1-sparse.json || cmp -s l1-auto.json l1-dense.json; }; then
    ok "--layer1 sparse and dense train; auto is one of them"
else
    bad "--layer1 auto matches neither forced path"
fi
sed 's/"sizes": \[784, 1, 10\]/"sizes": [784, 1, 9]/' hand.json > hand9.json
err=$("$GP" evaluate $DE --load hand9.json 2>&1); [ $? -eq 2 ] && ok "inconsistent JSON rejected (status 2): $(printf '%s' "$err" | head -1)" ||
    bad "inconsistent JSON: not rejected with status 2"

# ---- early stopping and the schedule stop a run early ----
out=$("$GP" train $D --sizes 784,10 --epochs 50 --early-stop 2 --eta 0.5)
n=$(printf '%s\n' "$out" | grep -c '^epoch ')
[ "$n" -lt 50 ] && printf '%s\n' "$out" | grep -q '^stopping after epoch' &&
    ok "--early-stop 2 stops after $n epochs" || bad "--early-stop did not stop"
out=$("$GP" train $D --sizes 784,10 --epochs 200 --schedule 1 --eta 0.5)
printf '%s\n' "$out" | grep -q 'eta 0.25' && printf '%s\n' "$out" | grep -q 'eta has dropped to eta/128' &&
    ok "--schedule halves eta and stops at eta/128" || bad "--schedule"
# ---- divergence (issue 14): --eta 1e6 with quadratic-linear makes the weights NaN.
# Exit status 3, one stderr line naming epoch, batch and --eta, no nan printed, no
# --metrics or --save written; on one and two threads. ----
for th in 1 2; do
    rm -f div.csv div.json
    out=$("$GP" train $D --sizes 784,20,10 --epochs 3 --eta 1e6 --cost quadratic-linear \
        --threads $th --metrics div.csv --save div.json --monitor-eval-cost 2> div.err)
    st=$?
    if [ $st -eq 3 ] && [ "$(wc -l < div.err)" -eq 1 ] &&
        grep -q 'diverged at epoch 1, batch [0-9]*/30: the weights became NaN or infinite with --eta 1e+06; try a smaller --eta' div.err &&
        ! printf '%s' "$out" | grep -qi nan && [ ! -e div.csv ] && [ ! -e div.json ] &&
        [ -z "$(ls | grep '\.tmp')" ]; then
        ok "divergence, --threads $th: status 3, $(cat div.err)"
    else bad "divergence, --threads $th: status $st, said: $(cat div.err), out: $out"; fi
done
# sweep stops at a failed run with that run's status, as train's for the same problem
# (3: diverged), and says no CSV was written when no run finished.
c="$D --sizes 784,20,10 --eta 1e6 --cost quadratic-linear"
"$GP" sweep --seeds 1 --epochs 1 --csv sw.csv $c > /dev/null 2> sw.err; st=$?
[ $st -eq 3 ] && [ ! -e sw.csv ] && tail -1 sw.err | grep -q "no run finished" &&
    ok "sweep $c: status $st" || bad "sweep $c: status $st, said $(cat sw.err)"
# Data or a network that train refuses, sweep refuses before any run, once, with train's
# status (2: data it cannot load, or --sizes that do not fit it), not once per run.
for c in "2 --data nowhere" "2 $D --sizes 100,10"; do
    "$GP" sweep --seeds 1-3 --epochs 1 --csv sw.csv ${c#? } > sw.out 2> sw.err; st=$?
    [ $st -eq "${c%% *}" ] && [ ! -e sw.csv ] && [ ! -s sw.out ] &&
        [ "$(grep -c '^gradproof: ' sw.err)" -eq 1 ] &&
        ok "sweep ${c#? }: one error before any run, status $st" ||
        bad "sweep ${c#? }: status $st, said $(cat sw.err), printed $(cat sw.out)"
done
# One seed per setting has no sd or ci95: "-", not the "nan" the summary printed.
"$GP" sweep $D --sizes 784,10 --seeds 1 --epochs 1 --csv sw1.csv > sw.out 2>&1; st=$?
[ $st -eq 0 ] && ! grep -qi nan sw.out && grep -q '^0.5  *0  *1  *[0-9.]*  *- ' sw.out &&
    ok "sweep --seeds 1: '-' for sd and ci95" || bad "sweep --seeds 1: status $st, $(cat sw.out)"
# A stable run with the same cost is not called divergent.
"$GP" train $D --sizes 784,20,10 --epochs 2 --eta 0.5 --cost quadratic-linear \
    --metrics ok.csv > /dev/null && ! grep -qi nan ok.csv && ok "quadratic-linear at --eta 0.5 trains" ||
    bad "quadratic-linear at --eta 0.5"

exit $fail
