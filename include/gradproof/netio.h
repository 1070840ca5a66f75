/* gradproof/netio.h: networks as JSON in network2.py's save() format.
 *
 *   {"sizes": [784, 30, 10],
 *    "weights": [W^1 as n_1 lists of n_0 numbers, W^2, ...],
 *    "biases": [b^1 as n_1 one-element lists [[b_1], [b_2], ...], b^2, ...],
 *    "cost": "CrossEntropyCost",
 *    "activations": ["relu", "leaky-relu:0.02"]}
 *
 * "activations" is gradproof's addition: one per hidden layer, each a name (sigmoid,
 * tanh, relu, leaky-relu, softplus, identity), "leaky-relu:ALPHA" or
 * {"name": "leaky-relu", "alpha": ALPHA} (0 <= ALPHA < 1; default 0.01). Absent means
 * sigmoid everywhere, as in network2.py; save leaves it out when every hidden layer is
 * sigmoid, so such a file is exactly network2.py's.
 *
 * so that a network trained by network2.py loads here (and the other way round).
 *
 * Errors: both functions return a GSL status and, when errbuf is not NULL, write a
 * one-line message naming the file and the problem into errbuf (at most errlen bytes,
 * NUL-terminated, no trailing newline), e.g. "net.json: weights[1] has 9 rows, expected
 * 10 (sizes[2])":
 *   GSL_EFAILED  I/O error (cannot open, write, fsync or rename); errno kept,
 *   GSL_EINVAL   not JSON, or JSON that does not describe a valid network, or a
 *                network with a non-finite parameter on save,
 *   GSL_ENOMEM   out of memory. */
#ifndef GRADPROOF_NETIO_H
#define GRADPROOF_NETIO_H

#include <gradproof/network.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Read a network from a JSON file. Checked: "sizes" is a list of 2..GP_MAX_LAYERS
 * integers in 1..GP_MAX_WIDTH; "weights" and "biases" have one entry per layer
 * l = 1..L with exactly the shapes n_l x n_{l-1} and n_l x 1 (a bias may also be a
 * bare number instead of a one-element list); every parameter is a finite number;
 * "cost" is a network2.py class name ("QuadraticCost", "CrossEntropyCost") or anything
 * else gp_cost_lookup knows ("cross-entropy", "log-likelihood", ...); duplicate keys are
 * rejected; other keys are ignored. On success *out is a new network the caller frees
 * with gp_network_free; on failure *out is NULL. */
int gp_netio_load(const char *path, gp_network **out, char *errbuf, size_t errlen);

/* Write net to path with the library's one atomic writer (gradproof/atomic.h): a
 * temporary file in the same directory is written, flushed, fsynced and renamed over path
 * (mode 0644 under the umask), so readers see the old file or the whole new
 * one; on failure the temporary file is removed and path is untouched. Numbers are
 * written with 17 significant digits, so gp_netio_load returns them bit for bit. The
 * cost is written as gp_netio_cost_name(net->cost). GSL_EINVAL if a parameter is NaN
 * or infinite (JSON cannot hold it). */
int gp_netio_save(const gp_network *net, const char *path, char *errbuf, size_t errlen);
/* An upper bound on the bytes gp_netio_save writes for a network of these sizes
 * (n_layers entries, as gp_network_alloc takes them), whatever its parameters and
 * activations: for checking the free space before a long run (gp_atomic_space).
 * SIZE_MAX if the bound does not fit a size_t, and, with GSL_EINVAL raised, for sizes
 * gp_network_alloc refuses (NULL, n_layers outside 2..GP_MAX_LAYERS, a size outside
 * 1..GP_MAX_WIDTH). */
size_t gp_netio_size_bound(size_t n_layers, const size_t *sizes);

/* In memory (no file): the same format, checks and messages ("network: ..." instead
 * of the file name). gp_netio_load_string parses len bytes of text (need not be
 * NUL-terminated). gp_netio_save_string sets *out to a new NUL-terminated compact JSON
 * text (17 significant digits) that the caller frees with gp_netio_string_free (or
 * free); GSL_EINVAL for a non-finite parameter. */
int gp_netio_load_string(const char *text, size_t len, gp_network **out, char *errbuf,
                         size_t errlen);
int gp_netio_save_string(const gp_network *net, char **out, char *errbuf, size_t errlen);
void gp_netio_string_free(char *text);

/* The name save writes for a cost: network2.py's class name when network2.py has the
 * same cost ("QuadraticCost" for gp_cost_quadratic, "CrossEntropyCost" for
 * gp_cost_cross_entropy), else the gradproof name (cost->name). Static; do not free. */
const char *gp_netio_cost_name(const gp_cost_type *cost);

#ifdef __cplusplus
}
#endif
#endif
