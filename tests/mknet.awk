# mknet.awk -v sizes=A,B,...,Z -v m=M: a network of any depth in network2.py's JSON
# (net.json), inputs x.json (A x M) and one-hot targets y.json (Z x M), from a fixed linear
# congruential generator, so every run writes the same files. Written piece by piece, in
# time linear in the network's size.
function r() { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5 }
function sep(i) { return (i > 1) ? ", " : "" }
BEGIN {
    s = 12345; L = split(sizes, n, ",")
    f = "net.json"
    printf "{\"sizes\": [" > f
    for (l = 1; l <= L; l++) printf "%s%d", sep(l), n[l] > f
    printf "], \"cost\": \"CrossEntropyCost\", \"weights\": [" > f
    for (l = 2; l <= L; l++) {
        printf "%s[", sep(l - 1) > f
        for (j = 1; j <= n[l]; j++) {
            printf "%s[", sep(j) > f
            for (k = 1; k <= n[l - 1]; k++) printf "%s%.6f", sep(k), 2 * r() > f
            printf "]" > f
        }
        printf "]" > f
    }
    printf "], \"biases\": [" > f
    for (l = 2; l <= L; l++) {
        printf "%s[", sep(l - 1) > f
        for (j = 1; j <= n[l]; j++) printf "%s[%.6f]", sep(j), r() > f
        printf "]" > f
    }
    printf "]}\n" > f
    f = "x.json"
    printf "[" > f
    for (i = 1; i <= n[1]; i++) {
        printf "%s[", sep(i) > f
        for (q = 1; q <= m; q++) printf "%s%.4f", sep(q), r() + 0.5 > f
        printf "]" > f
    }
    printf "]\n" > f
    f = "y.json"
    printf "[" > f
    for (i = 1; i <= n[L]; i++) {
        printf "%s[", sep(i) > f
        for (q = 1; q <= m; q++) printf "%s%d", sep(q), ((q % n[L]) == i - 1) > f
        printf "]" > f
    }
    printf "]\n" > f
}
