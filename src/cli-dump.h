/* cli-dump.h: the oracle's dump (cost, z, a, delta, dW, db per layer) in memory, as one
 * JSON document or as a directory of .npy files; matrices from JSON or .npy; records. */
#ifndef GRADPROOF_CLI_DUMP_H
#define GRADPROOF_CLI_DUMP_H

#include <jansson.h>

#include "cli.h"

/* Exit status for unusable input (compare, replay). */
#define CLI_EXIT_INPUT 2
#define DUMP_MAX_TENSORS (5 * GP_MAX_LAYERS + 1)

/* Tensors in computation order: z1 a1 ... zL aL cost, then deltaL dWL dbL ... delta1 dW1
 * db1 (backprop order, so the first disagreement is where a wrong formula starts). */
typedef struct {
    size_t L, m;
    size_t n; /* tensors present */
    char name[DUMP_MAX_TENSORS][32];
    gsl_matrix *t[DUMP_MAX_TENSORS]; /* NULL when absent (candidate dumps) */
    int f32;                         /* every value is a float32 value */
} cli_dump;

/* The oracle's dump of net on X (n_0 x m), Y, with regularisation reg (may be NULL). */
int dump_compute(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                 const gp_regularization *reg, cli_dump *d);
void dump_free(cli_dump *d);
/* The expected tensor names for L layers, in the order above (fills d->name, d->n). */
void dump_names(cli_dump *d, size_t L);
/* Read a dump from a JSON file or a directory of .npy files. With `like` (the oracle's
 * dump) the names and shapes are those of `like`; dW/db must be present, others may be
 * missing. Errors: one line in err, return 1. */
int dump_read(const char *path, const cli_dump *like, cli_dump *d, char *err,
              size_t errlen);

/* Write the dump, the network and the inputs: a JSON document (atomically) or a
 * directory (built as DIR.tmpXXXXXX, then renamed). */
int dump_write_json(const char *path, const cli_dump *d, const gp_network *net,
                    const gsl_matrix *X, const gsl_matrix *Y,
                    const gp_regularization *reg, char *err, size_t errlen);
int dump_write_dir(const char *dir, const cli_dump *d, const gp_network *net,
                   const gsl_matrix *X, const gsl_matrix *Y, const gp_regularization *reg,
                   char *err, size_t errlen);
/* The network and inputs an oracle dump carries (for records). NULL/1 if absent. */
int dump_read_inputs(const char *path, gp_network **net, gsl_matrix **X, gsl_matrix **Y,
                     gp_regularization *reg, char *err, size_t errlen);

/* A matrix from a .npy file (by extension) or a JSON file (nested lists, a flat list
 * is a column); finite values only. */
int matrix_read(const char *path, gsl_matrix **out, char *err, size_t errlen);
/* JSON <-> matrices and networks. */
json_t *json_matrix(const gsl_matrix *m);
int matrix_from_json(const json_t *v, const char *what, gsl_matrix **out, char *err,
                     size_t errlen);
json_t *json_network(const gp_network *net);
/* Set o's "network", "x", "y", "lambda", "l1" and "n" (the self-contained inputs of a
 * dump or a record); returns o. */
json_t *json_inputs(json_t *o, const gp_network *net, const gsl_matrix *X,
                    const gsl_matrix *Y, const gp_regularization *reg);
int network_from_json(const json_t *v, const char *path, gp_network **net, char *err,
                      size_t errlen);
/* Write a JSON value atomically (temp file + rename). */
int json_write_atomic(const json_t *v, const char *path, char *err, size_t errlen);

#endif
