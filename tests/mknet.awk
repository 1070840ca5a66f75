# mknet.awk -v sizes=A,B,C -v m=M: a network in network2.py's JSON (net.json), inputs
# x.json (A x M) and one-hot targets y.json (C x M), from a fixed linear congruential
# generator, so every run writes the same files.
function r() { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5 }
function sep(i) { return (i > 1) ? ", " : "" }
BEGIN {
    s = 12345; split(sizes, n, ",")
    w = sprintf("{\"sizes\": [%d, %d, %d], \"cost\": \"CrossEntropyCost\", \"weights\": [", n[1], n[2], n[3])
    for (l = 2; l <= 3; l++) {
        w = w sep(l - 1) "["
        for (j = 1; j <= n[l]; j++) {
            w = w sep(j) "["
            for (k = 1; k <= n[l - 1]; k++) w = w sep(k) sprintf("%.6f", 2 * r())
            w = w "]"
        }
        w = w "]"
    }
    w = w "], \"biases\": ["
    for (l = 2; l <= 3; l++) {
        w = w sep(l - 1) "["
        for (j = 1; j <= n[l]; j++) w = w sep(j) sprintf("[%.6f]", r())
        w = w "]"
    }
    print w "]}" > "net.json"
    x = "["
    for (i = 1; i <= n[1]; i++) {
        x = x sep(i) "["
        for (q = 1; q <= m; q++) x = x sep(q) sprintf("%.4f", r() + 0.5)
        x = x "]"
    }
    print x "]" > "x.json"
    y = "["
    for (i = 1; i <= n[3]; i++) {
        y = y sep(i) "["
        for (q = 1; q <= m; q++) y = y sep(q) ((q % n[3]) == i - 1)
        y = y "]"
    }
    print y "]" > "y.json"
}
