# tests/synth-idx.sh: a tiny synthetic MNIST for the CLI tests (sourced, not run): no
# network, no real MNIST. Digit c lights the 78-pixel band c at 255, 215 or 175 (three
# variants) and a faint second band (value 60) at c+v+1, so no single pixel decides and
# the classes are still linearly separable.
#   synth_idx DIR NTRAIN NTEST   writes DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte
be32() { # big-endian 32-bit integer as raw bytes
    printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
    printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}
bytes() { # count value: `count` copies of the byte `value`
    head -c "$1" /dev/zero | tr '\000' "\\$(printf %03o "$2")"
}
synth_images() { # the 30 images img<c><v> in the current directory
    for c in 0 1 2 3 4 5 6 7 8 9; do
        for v in 0 1 2; do
            f=$(( (c + v + 1) % 10 ))
            : > "img$c$v"
            for band in 0 1 2 3 4 5 6 7 8 9; do
                if [ $band -eq $c ]; then bytes 78 $((255 - 40 * v)) >> "img$c$v"
                elif [ $band -eq $f ]; then bytes 78 60 >> "img$c$v"
                else bytes 78 0 >> "img$c$v"; fi
            done
            bytes 4 0 >> "img$c$v" # 10 * 78 + 4 = 784 pixels
        done
    done
}
make_set() { # name n: images c = i % 10, variant (i / 10) % 3
    { printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28; } > "$1-images-idx3-ubyte"
    { printf '\000\000\010\001'; be32 "$2"; } > "$1-labels-idx1-ubyte"
    i=0
    while [ $i -lt "$2" ]; do
        c=$((i % 10)); v=$((i / 10 % 3))
        cat "img$c$v" >> "$1-images-idx3-ubyte"
        printf "\\$(printf %03o $c)" >> "$1-labels-idx1-ubyte"
        i=$((i + 1))
    done
}
synth_idx() {
    synth_images && mkdir -p "$1" && make_set "$1/train" "$2" && make_set "$1/t10k" "$3"
}
