#!/bin/sh
# CLI tests of `gradproof slowdown`: the book's qualitative result, CSV and PNG outputs,
# option errors.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
tmpdir cli-slowdown

out=$("$GP" slowdown --csv "$T/s.csv"); st=$?
[ $st -eq 0 ] && ok "slowdown exits 0" || bad "slowdown exits 0 (status $st)"
# 4 run descriptions, a header, epochs 0..300, 4 summary lines.
[ "$(printf '%s\n' "$out" | grep -c '^ *[0-9]* ')" -eq 301 ] && ok "301 epoch rows" || bad "epoch rows"
# Epoch 0: a = sigma(1.5) = 0.817574 and sigma(4) = 0.982014; quadratic costs
# (a^2)/2 = 0.334214 and 0.482176; cross-entropy -ln(1-a) = 1.701413 and 4.018150.
printf '%s\n' "$out" | grep -q '^    0     0.817574    0.334214     0.982014    0.482176     0.817574    1.701413     0.982014    4.018150$' &&
    ok "epoch 0 outputs and costs are the closed forms" || bad "epoch 0 row"
# The book's point: started at w = b = 2 the quadratic cost's steepest fall comes late
# (sigma'(4) ~ 0.018 stalls it); the cross-entropy's comes at once.
q=$(printf '%s\n' "$out" | sed -n 's/^# run 2 (quadratic, w = 2, b = 2): steepest fall in epoch \([0-9]*\);.*/\1/p')
x=$(printf '%s\n' "$out" | sed -n 's/^# run 4 (cross-entropy, w = 2, b = 2): steepest fall in epoch \([0-9]*\);.*/\1/p')
[ "${q:-0}" -gt 100 ] && [ "${x:-0}" -eq 1 ] &&
    ok "quadratic from w=b=2 learns slowly at first (steepest at epoch $q), cross-entropy does not (epoch $x)" ||
    bad "slowdown not shown: quadratic steepest at '$q', cross-entropy at '$x'"
[ "$(wc -l < "$T/s.csv")" -eq 302 ] && head -1 "$T/s.csv" | grep -q '^epoch,output1,cost1,' &&
    ok "--csv: header + 301 rows" || bad "--csv"
[ "$("$GP" slowdown --every 100 | grep -c '^ *[0-9]* ')" -eq 4 ] && ok "--every 100: epochs 0,100,200,300" ||
    bad "--every"
# The first tenth of 5 epochs is one epoch: "first 1 epoch", 300's tenth "first 30 epochs".
n1=$("$GP" slowdown --epochs 5 | grep -c '; first 1 epoch made ')
n30=$(printf '%s\n' "$out" | grep -c '; first 30 epochs made ')
[ "$n1" -eq 4 ] && [ "$n30" -eq 4 ] && ok "summary lines: 'first 1 epoch', 'first 30 epochs'" ||
    bad "summary wording: $n1 'first 1 epoch' and $n30 'first 30 epochs' lines of 4"
if command -v gnuplot >/dev/null 2>&1; then
    "$GP" slowdown --every 300 --plot "$T/s.png" > /dev/null &&
        [ "$(head -c 4 "$T/s.png" | od -An -c | tr -d ' ')" = '211PNG' ] &&
        ok "--plot writes a PNG" || bad "--plot"
else
    bad "--plot: gnuplot is not installed (scripts/install-deps.sh installs it)"
fi
# The file is a PNG whatever its name: another extension is refused before the table.
out=$("$GP" slowdown --csv "$T/pdf.csv" --plot "$T/s.pdf" 2>"$T/err"); st=$?
[ $st -eq 1 ] && [ -z "$out" ] && grep -q "must end in .png" "$T/err" && [ ! -e "$T/s.pdf" ] &&
    [ ! -e "$T/pdf.csv" ] && ok "--plot s.pdf: refused before the table, status 1" ||
    bad "--plot s.pdf: refused before the table, status 1 (status $st: $(cat "$T/err"))"
expect_error "invalid --every '0'" slowdown --every 0
expect_error "invalid --epochs 'x'" slowdown --epochs x
expect_error "cannot write --csv '$T/no/s.csv'" slowdown --csv "$T/no/s.csv"
expect_error "cannot write --plot '$T/no/s.png'" slowdown --plot "$T/no/s.png"
# Refused before the table: nothing on stdout, and a good --csv stays unwritten.
out=$("$GP" slowdown --csv "$T/early.csv" --plot "$T/no/s.png" 2>/dev/null)
[ -z "$out" ] && [ ! -e "$T/early.csv" ] && ok "unwritable --plot: refused before the table" ||
    bad "unwritable --plot: printed $(printf '%s' "$out" | wc -l) lines first, early.csv: $(ls "$T" | grep -c early)"
out=$("$GP" slowdown --plot "$T/it's.png" 2>/dev/null)
[ -z "$out" ] && ok "--plot name with a quote: refused before the table" ||
    bad "--plot name with a quote: printed $(printf '%s' "$out" | wc -l) lines first"
# Without gnuplot, --plot is refused before anything is printed or --csv written (it
# failed at the end, after the table and the CSV).
mkdir "$T/bin" && for f in /usr/bin/* /bin/*; do ln -sf "$f" "$T/bin/" 2>/dev/null; done
rm -f "$T/bin/gnuplot"
out=$(PATH="$T/bin" "$GP" slowdown --csv "$T/nognu.csv" --plot "$T/nognu.png" 2>"$T/err"); st=$?
[ $st -eq 1 ] && [ -z "$out" ] && [ ! -e "$T/nognu.csv" ] && [ ! -e "$T/nognu.png" ] &&
    head -1 "$T/err" | grep -q "plot needs gnuplot, not found on PATH" &&
    ok "--plot without gnuplot: refused first ($(head -1 "$T/err"))" ||
    bad "--plot without gnuplot: status $st, $(printf '%s' "$out" | wc -l) lines, $(ls "$T" | grep -c nognu) files, said: $(cat "$T/err")"
# A --csv that is a symbolic link is written through it: the target gets the CSV and the
# link stays (the link was replaced by a regular file, the target left old).
mkdir "$T/real" && echo old >"$T/real/s.csv" && ln -s real/s.csv "$T/link.csv"
"$GP" slowdown --epochs 2 --csv "$T/link.csv" >/dev/null && [ -L "$T/link.csv" ] &&
    head -1 "$T/real/s.csv" | grep -q '^epoch,' && ok "--csv through a symbolic link" ||
    bad "--csv through a symbolic link: link $(ls -l "$T/link.csv"), target $(head -1 "$T/real/s.csv")"
# ... and a --plot link to a name gnuplot's script cannot quote is refused before the table.
ln -s "it's.png" "$T/q.png"
out=$("$GP" slowdown --plot "$T/q.png" 2>"$T/err"); st=$?
[ $st -eq 1 ] && [ -z "$out" ] && grep -q "must not contain '" "$T/err" &&
    ok "--plot linked to a quoted name: refused first" ||
    bad "--plot linked to a quoted name: status $st, $(printf '%s' "$out" | wc -l) lines, said: $(cat "$T/err")"
# Stopped while gnuplot runs, slowdown leaves no temporary file: the data file was made
# in /tmp outside the cleanup (one /tmp/gradproof-slowdown-* per interrupted run).
mkdir "$T/fake" && printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 30\n' "$T/fake/pid" >"$T/fake/gnuplot" &&
    chmod +x "$T/fake/gnuplot"
before=$(ls /tmp | grep -c '^gradproof-slowdown-')
PATH="$T/fake:$PATH" "$GP" slowdown --epochs 5 --plot "$T/int.png" >/dev/null 2>&1 &
gp=$!
for i in $(seq 1 100); do [ -s "$T/fake/pid" ] && break; sleep 0.1; done
kill -TERM $gp; wait $gp; st=$?
[ -s "$T/fake/pid" ] && kill "$(cat "$T/fake/pid")" 2>/dev/null
left=$(ls "$T" | grep -c '^int\.png')
after=$(ls /tmp | grep -c '^gradproof-slowdown-')
[ $st -eq 143 ] && [ "$left" -eq 0 ] && [ "$after" -le "$before" ] &&
    ok "--plot stopped by SIGTERM while gnuplot runs: no temporary file left" ||
    bad "--plot stopped by SIGTERM: status $st, $left files in the test dir, /tmp files $before -> $after"
# The data file's name is the PNG's temporary name's: a directory s.png.dat does not
# stop the plot (it did, after the table: "cannot write --plot 's.png.dat'").
mkdir "$T/d.png.dat"
"$GP" slowdown --epochs 3 --plot "$T/d.png" >/dev/null 2>"$T/err" && [ -s "$T/d.png" ] &&
    ok "--plot beside a directory named like its data file" ||
    bad "--plot beside d.png.dat: $(cat "$T/err")"
# A table that cannot be written (a full disk) is a failure: status 1 and one line; the
# run ended with status 0 and the table lost.
if [ -w /dev/full ]; then
    "$GP" slowdown --epochs 3 >/dev/full 2>"$T/err"; st=$?
    [ $st -eq 1 ] && grep -q "^gradproof: cannot write standard output: " "$T/err" &&
        ok "slowdown >/dev/full: status 1" || bad "slowdown >/dev/full: status $st, said: $(cat "$T/err")"
else
    ok "# SKIP /dev/full missing"
fi
# --csv /dev/stdout with stdout redirected to a file: the CSV, written to a temporary
# file and renamed through the link onto that file, replaced it and the table printed
# there was lost. Standard output and error are now written directly, after what was
# printed on them, as a file, a pipe or /dev/stderr.
"$GP" slowdown --epochs 3 --csv /dev/stdout >"$T/std.out"; st=$?
[ $st -eq 0 ] && grep -q '^epoch      output1' "$T/std.out" && grep -q '^# run 4 (cross' "$T/std.out" &&
    [ "$(sed -n '/^epoch,output1,cost1,/,$p' "$T/std.out" | wc -l)" -eq 5 ] &&
    ok "--csv /dev/stdout into a file: the table, then the CSV" ||
    bad "--csv /dev/stdout into a file: status $st, got: $(head -c 300 "$T/std.out")"
{ "$GP" slowdown --epochs 3 --csv /dev/stdout; echo $? >"$T/st"; } | cat >"$T/pipe.out"
[ "$(cat "$T/st")" -eq 0 ] && grep -q '^epoch      output1' "$T/pipe.out" &&
    [ "$(grep -c '^[0-9],' "$T/pipe.out")" -eq 4 ] && ok "--csv /dev/stdout into a pipe" ||
    bad "--csv /dev/stdout into a pipe: status $(cat "$T/st"), got: $(head -c 300 "$T/pipe.out")"
{ echo before >&2; "$GP" slowdown --epochs 3 --csv /dev/stderr >/dev/null; } 2>"$T/err.out"; st=$?
[ $st -eq 0 ] && [ "$(head -1 "$T/err.out")" = before ] && [ "$(grep -c '^[0-9],' "$T/err.out")" -eq 4 ] &&
    ok "--csv /dev/stderr into a file, after what was there" ||
    bad "--csv /dev/stderr: status $st, got: $(head -c 300 "$T/err.out")"
# gnuplot writes a --plot itself, to a file: standard output is refused first.
ln -s /dev/stdout "$T/out.png"
out=$("$GP" slowdown --plot "$T/out.png" 2>"$T/err"); st=$?
[ $st -eq 1 ] && [ -z "$out" ] && grep -q "invalid --plot '$T/out.png': standard output or error, not a file" "$T/err" &&
    ok "--plot onto standard output refused first: $(head -1 "$T/err")" ||
    bad "--plot onto standard output: status $st, $(printf '%s' "$out" | wc -l) lines, said: $(head -1 "$T/err")"
expect_error "unknown option '--bogus'" slowdown --bogus
exit $fail
