/* src/ioutil.h: helpers shared by the file-format modules (idx.c, netio.c, npy.c,
 * dump.c, record.c). Not installed; the gpi_ prefix keeps them out of the exported
 * symbol set. The atomic writer itself is public: gradproof/atomic.h. */
#ifndef GRADPROOF_IOUTIL_H
#define GRADPROOF_IOUTIL_H

#include <stddef.h>
#include <stdio.h>

#include <gsl/gsl_matrix.h>
#include <jansson.h>

#include <gradproof/atomic.h>
#include <gradproof/backprop.h>
#include <gradproof/network.h>

#if defined(__GNUC__)
#define GPI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GPI_PRINTF(f, a)
#endif

/* Format a one-line message into errbuf (if errbuf is not NULL and errlen > 0), raise it
 * through gsl_error with `status`, restore errno to its value on entry, and return
 * status. Use through GPI_FAIL so that gsl_error sees the caller's file and line. */
int gpi_fail(char *errbuf, size_t errlen, int status, const char *file, int line,
             const char *fmt, ...) GPI_PRINTF(6, 7);
#define GPI_FAIL(errbuf, errlen, status, ...)                                            \
    gpi_fail(errbuf, errlen, status, __FILE__, __LINE__, __VA_ARGS__)

/* Register a block of names "n1\0n2\0...\0\0" (owned by the caller, kept alive until
 * gpi_atomic_unregister) for gp_atomic_cleanup, which unlinks (or rmdirs) each in
 * order. Returns the slot, or -1 when the registry is full (then nothing is cleaned
 * on a signal, but writing still works). */
/* rm -rf dir, without a shell: depth first, symbolic links not followed. */
void gpi_remove_tree(const char *dir);

int gpi_atomic_register(const char *block);
void gpi_atomic_unregister(int slot);

/* The words for an input that held no byte at all: an empty file, or a FIFO whose
 * writer closed it without writing (issue 14). Readers say "PATH: " GPI_EMPTY. */
#define GPI_EMPTY "empty: no data (an empty file, or a pipe whose writer sent nothing)"

/* Open an input file for reading without ever blocking in open(): O_NONBLOCK, so that a
 * FIFO without a writer does not hang (issue 14), cleared once open so that reads wait
 * for a writer's data as usual; a FIFO whose writer is gone reads as empty. Refuses a
 * directory ("is a directory, not a file") and anything neither a regular file nor a
 * FIFO or pipe (devices, sockets). Returns the descriptor, or -1 with the message in
 * errbuf and *status (GSL_EFAILED). */
int gpi_open_input(const char *path, int *status, char *errbuf, size_t errlen);
/* gpi_open_input as a stdio stream (mode "rb"); NULL as gpi_open_input. */
FILE *gpi_fopen_input(const char *path, int *status, char *errbuf, size_t errlen);

/* Write a JSON value atomically (compact, 17 significant digits, newline-terminated). */
int gpi_json_write(const json_t *v, const char *path, char *errbuf, size_t errlen);
/* Load a JSON document (duplicate keys rejected; any value when any != 0). GSL_EFAILED
 * when the file cannot be opened or is not a regular file, GSL_EINVAL when not JSON. */
int gpi_json_load(const char *path, int any, json_t **out, char *errbuf, size_t errlen);
/* Whether a jansson failure means the input held no byte (GPI_EMPTY), not a bad one. */
int gpi_json_empty(const json_error_t *je);

/* A matrix as nested lists (rows) and back. Reading accepts a number (1 x 1), a flat
 * list (a column) or a list of equal-length rows, finite numbers only; every row is
 * checked before the matrix is allocated. `what` names the value in messages. */
json_t *gpi_json_matrix(const gsl_matrix *m);
int gpi_matrix_from_json(const json_t *v, const char *what, gsl_matrix **out,
                         char *errbuf, size_t errlen);

/* A network as network2.py's JSON object and back (netio.c): what names the source
 * in messages ("net.json", "record.json: network"). */
json_t *gpi_netio_to_json(const gp_network *net, char *errbuf, size_t errlen);
int gpi_netio_from_json(const json_t *root, const char *what, gp_network **out,
                        char *errbuf, size_t errlen);

/* Set o's "network", "x", "y", "lambda", "l1" and "n" (dump.c): the self-contained
 * inputs of a dump or a record. NULL (o freed, message in errbuf) on failure. */
json_t *gpi_dump_inputs(json_t *o, const gp_network *net, const gsl_matrix *X,
                        const gsl_matrix *Y, const gp_regularization *reg, char *errbuf,
                        size_t errlen);
/* Read them back from an object (a record or a JSON dump); what names the source. */
int gpi_dump_inputs_from_json(const json_t *o, const char *what, gp_network **net,
                              gsl_matrix **X, gsl_matrix **Y, gp_regularization *reg,
                              char *errbuf, size_t errlen);

#endif
