# Sourced by CLI tests: synth_idx DIR NTRAIN NTEST (or make_mnist DIR: 360 and 60)
# writes a tiny synthetic MNIST of 28x28 images into DIR. Digit c lights the 78-pixel
# band c at 255, 215 or 175 (three variants) and a faint second band (value 60) at
# c+v+1, so no single pixel decides and the classes are still linearly separable.
be32() { # big-endian 32-bit integer as raw bytes
    printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
    printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}
bytes() { # count value: `count` copies of the byte `value`
    head -c "$1" /dev/zero | tr '\000' "\\$(printf %03o "$2")"
}
make_images() { # dir: the 30 images img$c$v
    for c in 0 1 2 3 4 5 6 7 8 9; do
        for v in 0 1 2; do
            f=$(( (c + v + 1) % 10 ))
            : > "$1/img$c$v"
            for band in 0 1 2 3 4 5 6 7 8 9; do
                if [ $band -eq $c ]; then bytes 78 $((255 - 40 * v)) >> "$1/img$c$v"
                elif [ $band -eq $f ]; then bytes 78 60 >> "$1/img$c$v"
                else bytes 78 0 >> "$1/img$c$v"; fi
            done
            bytes 4 0 >> "$1/img$c$v" # 10 * 78 + 4 = 784 pixels
        done
    done
}
make_set() { # dir name n: images c = i % 10, variant (i / 10) % 3
    { printf '\000\000\010\003'; be32 "$3"; be32 28; be32 28; } > "$1/$2-images-idx3-ubyte"
    { printf '\000\000\010\001'; be32 "$3"; } > "$1/$2-labels-idx1-ubyte"
    i=0
    while [ $i -lt "$3" ]; do
        c=$((i % 10)); v=$((i / 10 % 3))
        cat "$1/img$c$v" >> "$1/$2-images-idx3-ubyte"
        printf "\\$(printf %03o $c)" >> "$1/$2-labels-idx1-ubyte"
        i=$((i + 1))
    done
}
synth_idx() { # dir ntrain ntest
    mkdir -p "$1" && make_images "$1" && make_set "$1" train "$2" && make_set "$1" t10k "$3" &&
        rm -f "$1"/img??
}
make_mnist() { # dir: 360 training and 60 test images
    synth_idx "$1" 360 60
}
