/* mpi.h: the command line's small MPI layer (rank and size, deterministic dealing by
 * case index, gather of results, dynamic dealing of tasks). The library never uses MPI.
 * Built without MPI (configure --with-mpi=no), or run without mpirun, every function
 * behaves as rank 0 of a single process, so the same binary runs in both ways. */
#ifndef GRADPROOF_CLI_MPI_H
#define GRADPROOF_CLI_MPI_H

#include <stddef.h>

/* Start MPI when the process was launched by mpirun (OMPI_COMM_WORLD_SIZE or PMIX_RANK
 * is set); otherwise, and without MPI support, do nothing. Returns 0, or 1 after printing
 * an error. Call once, before anything else of this module. */
int cli_mpi_init(int *argc, char ***argv);
/* Before cli_mpi_init, under mpirun with MPI: ranks other than 0 print no usage error
 * (cli_quiet_errors), so that a bad option, the same on every rank, is said once, by
 * rank 0 (every rank still exits with its status). cli_mpi_init ends it. */
void cli_mpi_quiet_options(void);
/* After a command failed before cli_mpi_init in that state: the ranks meet (MPI_Init, a
 * barrier, MPI_Finalize) before they exit, so that no rank ends, and mpirun the job,
 * before rank 0 has printed the error the others keep quiet. Otherwise nothing. */
void cli_mpi_meet(void);
/* Finish MPI if cli_mpi_init started it. */
void cli_mpi_finalize(void);
/* Kill the whole job with `status` (MPI_Abort); a single process just returns. */
void cli_mpi_abort(int status);

int cli_mpi_rank(void); /* 0 .. size-1; 0 without MPI */
int cli_mpi_size(void); /* the number of ranks; 1 without MPI */

/* Deterministic dealing: case i belongs to rank i mod size. */
int cli_mpi_owns(size_t i);

/* Gather: every rank passes its bytes; rank 0 receives all of them, concatenated in rank
 * order, in a malloc'ed buffer (*out, *out_len; free it). Other ranks get *out = NULL.
 * Collective. Returns 0, or 1 after printing an error. */
int cli_mpi_gather(const char *buf, size_t len, char **out, size_t *out_len);
/* Logical or of flag over all ranks, known to every rank. Collective. */
int cli_mpi_any(int flag);
/* In place over all ranks, known to every rank (collective): the sums of v[0..n-1], and
 * the maxima of x[0..n-1]. A maximum does not depend on the order of its operands, so
 * the result equals a single process's. Return 0, or 1 after printing an error. */
int cli_mpi_sum(size_t *v, size_t n);
int cli_mpi_max(double *x, size_t n);
/* The first of something over all ranks (collective): *i is this rank's index of it
 * (SIZE_MAX: none) and text (cap bytes; NULL with cap 0) its description; on return
 * every rank has the lowest index and the text of the rank that holds it. Returns 0,
 * or 1 after an error. */
int cli_mpi_first(size_t *i, char *text, size_t cap);

/* A lowest index announced without waiting (a hunt's limit: the case after a failing
 * one, or a rank's stop index when its time budget ran out; no rank needs a case at
 * or above it). cli_mpi_found_begin (collective) starts; post sends i to
 * every other rank (once per rank; later posts are ignored); poll returns the lowest
 * index posted or received so far (SIZE_MAX: none); end (collective) receives what is
 * still in flight. begin and end return 0, or 1 after printing an error. */
int cli_mpi_found_begin(void);
void cli_mpi_found_post(size_t i);
size_t cli_mpi_found_poll(void);
int cli_mpi_found_end(void);

/* Dynamic dealing (rank 0 deals, ranks 1..size-1 work). A task is an index >= 0; -1
 * tells a worker to stop. */
int cli_mpi_task_send(int rank, long task);
int cli_mpi_task_recv(long *task);
/* A worker's result: its task, an exit status and bytes (a CSV block, a message). */
int cli_mpi_result_send(long task, int status, const char *buf, size_t len);
/* Rank 0: wait for the next result from any worker (polling, so the waiting rank does
 * not spin a core); *buf is malloc'ed (free it), NUL-terminated. */
int cli_mpi_result_recv(int *rank, long *task, int *status, char **buf, size_t *len);

#endif
