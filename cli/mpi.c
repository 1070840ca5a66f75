/* mpi.c: the MPI layer of the command line (mpi.h), with single-process stubs when
 * gradproof is built without MPI or run without mpirun. */
#include <config.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mpi.h"

#ifdef HAVE_MPI
#include <mpi.h>
#endif

#ifdef HAVE_MPI
static int started; /* MPI_Init was called by cli_mpi_init */
#endif
static int g_rank, g_size = 1;

enum { TAG_TASK = 1, TAG_HEAD = 2, TAG_BODY = 3, TAG_FOUND = 4 };

/* mpirun (ORTE) and PMIx launchers set these; a plain run sets neither. */
static int launched_by_mpirun(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}

/* mpirun -np 1 (Open MPI says the job's size): one rank has nobody to talk to, so it
 * runs as a lone process; MPI_Init would open about 50 plug-ins and wait on mpirun for
 * nothing (oracle --self-check [784,70,10] under mpirun -np 1: 242 of the rank's 1164
 * perf samples in the kernel, the loader and Open MPI, 78 of 980 in a lone process). */
static int launched_alone(void) {
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    return size != NULL && !strcmp(size, "1");
}

static int in_options; /* from cli_mpi_quiet_options to cli_mpi_init */

void cli_mpi_quiet_options(void) {
#ifdef HAVE_MPI
    const char *rank = getenv("OMPI_COMM_WORLD_RANK");
    if (rank == NULL)
        rank = getenv("PMIX_RANK");
    in_options = launched_by_mpirun() && !launched_alone();
    cli_quiet_errors(in_options && rank != NULL && strcmp(rank, "0") != 0);
#endif
}

void cli_mpi_meet(void) {
#ifdef HAVE_MPI
    if (!in_options || started)
        return;
    in_options = 0;
    cli_quiet_errors(0);
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return;
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
#endif
}

int cli_mpi_init(int *argc, char ***argv) {
    in_options = 0;
    cli_quiet_errors(0);
#ifdef HAVE_MPI
    if (started || !launched_by_mpirun() || launched_alone())
        return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, CLI_NAME ": MPI_Init failed\n");
        return 1;
    }
    started = 1;
    /* Errors come back as codes; each caller names what failed. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
#else
    (void)argc;
    (void)argv;
    if (launched_by_mpirun() && getenv("OMPI_COMM_WORLD_RANK") &&
        strcmp(getenv("OMPI_COMM_WORLD_SIZE"), "1")) {
        fprintf(stderr, CLI_NAME ": this gradproof was built without MPI "
                                 "(configure --with-mpi): run it without mpirun\n");
        return 1;
    }
#endif
    return 0;
}

void cli_mpi_finalize(void) {
#ifdef HAVE_MPI
    if (started)
        MPI_Finalize();
    started = 0;
#endif
}

void cli_mpi_abort(int status) {
#ifdef HAVE_MPI
    if (started && g_size > 1)
        MPI_Abort(MPI_COMM_WORLD, status);
#else
    (void)status;
#endif
}

int cli_mpi_rank(void) {
    return g_rank;
}

int cli_mpi_size(void) {
    return g_size;
}

int cli_mpi_owns(size_t i) {
    return i % (size_t)g_size == (size_t)g_rank;
}

#ifdef HAVE_MPI
static int mpi_fail(const char *what, int rc) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fprintf(stderr, CLI_NAME ": rank %d: %s failed: %.*s\n", g_rank, what, len, msg);
    return 1;
}
#endif

#ifdef HAVE_MPI
/* Open MPI's blocking calls spin a core until their peer comes (oracle --self-check
 * [784,70,10] on 2 ranks: rank 1's Open MPI progress loop, mca_btl_vader and
 * opal_progress, took 18 % of its samples while rank 0 wrote the dump, perf). Every wait
 * here tests a nonblocking request instead: for 200 us without pause (the rounds of a
 * collective whose ranks arrive together, which a sleeping peer would delay: check's
 * report exchanges hundreds), then sleeping 16 us, doubling up to 1 ms, in between, so
 * that a rank that waits long leaves the core to the work of another. */
static int wait_polling(MPI_Request *req, MPI_Status *st) {
    struct timespec nap = {0, 16000};
    double spin_until = cli_now() + 200e-6;
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, st);
        if (rc != MPI_SUCCESS || done)
            return rc;
        if (cli_now() < spin_until)
            continue;
        nanosleep(&nap, NULL);
        if (nap.tv_nsec < 1000000)
            nap.tv_nsec *= 2;
    }
}

/* MPI_Send, MPI_Recv and MPI_Allreduce, waiting as wait_polling does. */
static int send_polling(const void *buf, int n, MPI_Datatype type, int to, int tag) {
    MPI_Request req;
    int rc = MPI_Isend(buf, n, type, to, tag, MPI_COMM_WORLD, &req);
    return rc == MPI_SUCCESS ? wait_polling(&req, MPI_STATUS_IGNORE) : rc;
}

static int recv_polling(void *buf, int n, MPI_Datatype type, int from, int tag) {
    MPI_Request req;
    int rc = MPI_Irecv(buf, n, type, from, tag, MPI_COMM_WORLD, &req);
    return rc == MPI_SUCCESS ? wait_polling(&req, MPI_STATUS_IGNORE) : rc;
}

static int allreduce_polling(const void *in, void *out, int n, MPI_Datatype type,
                             MPI_Op op) {
    MPI_Request req;
    int rc = MPI_Iallreduce(in, out, n, type, op, MPI_COMM_WORLD, &req);
    return rc == MPI_SUCCESS ? wait_polling(&req, MPI_STATUS_IGNORE) : rc;
}
#endif

static int gather_local(const char *buf, size_t len, char **out, size_t *out_len) {
    *out = malloc(len + 1);
    if (!*out) {
        fprintf(stderr, CLI_NAME ": out of memory\n");
        return 1;
    }
    memcpy(*out, buf, len);
    (*out)[len] = '\0';
    *out_len = len;
    return 0;
}

int cli_mpi_gather(const char *buf, size_t len, char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (g_size == 1)
        return gather_local(buf, len, out, out_len);
#ifdef HAVE_MPI
    /* Counts first (as long long: a soak report may pass 2 GiB in total), then bytes
     * one rank at a time, so no int displacement can overflow. */
    long long n = (long long)len;
    if (g_rank != 0) {
        int rc = send_polling(&n, 1, MPI_LONG_LONG, 0, TAG_HEAD);
        if (rc == MPI_SUCCESS && len > 0)
            rc = send_polling(buf, (int)len, MPI_CHAR, 0, TAG_BODY);
        return rc == MPI_SUCCESS ? 0 : mpi_fail("sending a result", rc);
    }
    long long *counts = calloc((size_t)g_size, sizeof *counts);
    if (!counts)
        return gather_local("", 0, out, out_len);
    counts[0] = n;
    size_t total = len;
    for (int r = 1; r < g_size; r++) {
        int rc = recv_polling(&counts[r], 1, MPI_LONG_LONG, r, TAG_HEAD);
        if (rc != MPI_SUCCESS) {
            free(counts);
            return mpi_fail("receiving a result size", rc);
        }
        total += (size_t)counts[r];
    }
    char *all = malloc(total + 1);
    if (!all) {
        free(counts);
        fprintf(stderr, CLI_NAME ": out of memory\n");
        return 1;
    }
    memcpy(all, buf, len);
    size_t at = len;
    for (int r = 1; r < g_size; r++) {
        int rc = counts[r] ? recv_polling(all + at, (int)counts[r], MPI_CHAR, r, TAG_BODY)
                           : MPI_SUCCESS;
        if (rc != MPI_SUCCESS) {
            free(counts);
            free(all);
            return mpi_fail("receiving a result", rc);
        }
        at += (size_t)counts[r];
    }
    free(counts);
    all[total] = '\0';
    *out = all;
    *out_len = total;
    return 0;
#else
    return 1;
#endif
}

int cli_mpi_any(int flag) {
#ifdef HAVE_MPI
    if (g_size > 1) {
        int any = 0;
        allreduce_polling(&flag, &any, 1, MPI_INT, MPI_LOR);
        return any;
    }
#endif
    return flag != 0;
}

int cli_mpi_sum(size_t *v, size_t n) {
#ifdef HAVE_MPI
    /* In chunks of 64, one Allreduce each (size_t need not be an MPI type). */
    for (size_t at = 0; g_size > 1 && at < n; at += 64) {
        unsigned long long x[64], sum[64];
        int m = n - at < 64 ? (int)(n - at) : 64;
        for (int k = 0; k < m; k++)
            x[k] = v[at + (size_t)k];
        int rc = allreduce_polling(x, sum, m, MPI_UNSIGNED_LONG_LONG, MPI_SUM);
        if (rc != MPI_SUCCESS)
            return mpi_fail("summing counts", rc);
        for (int k = 0; k < m; k++)
            v[at + (size_t)k] = (size_t)sum[k];
    }
#else
    (void)v;
    (void)n;
#endif
    return 0;
}

int cli_mpi_max(double *x, size_t n) {
#ifdef HAVE_MPI
    if (g_size > 1 && n > 0) {
        double *m = malloc(n * sizeof *m);
        if (!m) {
            fprintf(stderr, CLI_NAME ": out of memory\n");
            return 1;
        }
        int rc = allreduce_polling(x, m, (int)n, MPI_DOUBLE, MPI_MAX);
        if (rc == MPI_SUCCESS)
            memcpy(x, m, n * sizeof *m);
        free(m);
        if (rc != MPI_SUCCESS)
            return mpi_fail("taking a maximum", rc);
    }
#else
    (void)x;
    (void)n;
#endif
    return 0;
}

int cli_mpi_first(size_t *i, char *text, size_t cap) {
#ifdef HAVE_MPI
    if (g_size > 1) {
        /* MINLOC over (index, rank): the lowest index, then the rank holding it sends
         * its text to all. Indices stay below LONG_MAX (at most 10^9 cases). */
        struct {
            long v;
            int r;
        } in = {*i == SIZE_MAX ? LONG_MAX : (long)*i, g_rank}, out;
        int rc = allreduce_polling(&in, &out, 1, MPI_LONG_INT, MPI_MINLOC);
        if (rc == MPI_SUCCESS && out.v != LONG_MAX)
            rc = MPI_Bcast(text, (int)cap, MPI_CHAR, out.r, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail("finding a first failure", rc);
        *i = out.v == LONG_MAX ? SIZE_MAX : (size_t)out.v;
    }
#else
    (void)i;
    (void)text;
    (void)cap;
#endif
    return 0;
}

static size_t found_best = SIZE_MAX;
#ifdef HAVE_MPI
static int found_posted;
static long found_sent;          /* this rank's posted index (the send buffer) */
static MPI_Request *found_req;   /* its sends, one per rank (none to itself) */
static unsigned char *found_got; /* found_got[r]: rank r's post received */

int cli_mpi_found_begin(void) {
    found_best = SIZE_MAX;
    found_posted = 0;
    if (g_size == 1)
        return 0;
    found_req = malloc((size_t)g_size * sizeof *found_req);
    found_got = calloc((size_t)g_size, 1);
    int bad = !found_req || !found_got;
    if (bad)
        fprintf(stderr, CLI_NAME ": rank %d: out of memory\n", g_rank);
    for (int r = 0; !bad && r < g_size; r++)
        found_req[r] = MPI_REQUEST_NULL;
    return cli_mpi_any(bad);
}

void cli_mpi_found_post(size_t i) {
    if (i < found_best)
        found_best = i;
    if (g_size == 1 || found_posted)
        return;
    found_posted = 1;
    found_sent = (long)i;
    for (int r = 0; r < g_size; r++)
        if (r != g_rank && MPI_Isend(&found_sent, 1, MPI_LONG, r, TAG_FOUND,
                                     MPI_COMM_WORLD, &found_req[r]) != MPI_SUCCESS)
            found_req[r] = MPI_REQUEST_NULL; /* only a hint: the end result is exact */
}

static void found_recv(int from) {
    long v;
    if (MPI_Recv(&v, 1, MPI_LONG, from, TAG_FOUND, MPI_COMM_WORLD, MPI_STATUS_IGNORE) ==
        MPI_SUCCESS) {
        found_got[from] = 1;
        if ((size_t)v < found_best)
            found_best = (size_t)v;
    }
}

size_t cli_mpi_found_poll(void) {
    for (int flag = 1; g_size > 1 && flag;) {
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_FOUND, MPI_COMM_WORLD, &flag, &st) !=
            MPI_SUCCESS)
            break;
        if (flag)
            found_recv(st.MPI_SOURCE);
    }
    return found_best;
}

int cli_mpi_found_end(void) {
    if (g_size == 1)
        return 0;
    int *posted = malloc((size_t)g_size * sizeof *posted);
    MPI_Request req;
    int rc = posted ? MPI_Iallgather(&found_posted, 1, MPI_INT, posted, 1, MPI_INT,
                                     MPI_COMM_WORLD, &req)
                    : MPI_ERR_NO_MEM;
    if (rc == MPI_SUCCESS)
        rc = wait_polling(&req, MPI_STATUS_IGNORE);
    for (int r = 0; rc == MPI_SUCCESS && r < g_size; r++)
        if (r != g_rank && posted[r] && !found_got[r])
            found_recv(r);
    if (rc == MPI_SUCCESS)
        rc = MPI_Waitall(g_size, found_req, MPI_STATUSES_IGNORE);
    free(posted);
    free(found_req);
    free(found_got);
    found_req = NULL;
    found_got = NULL;
    return rc == MPI_SUCCESS ? 0 : mpi_fail("ending a search", rc);
}
#else
int cli_mpi_found_begin(void) {
    found_best = SIZE_MAX;
    return 0;
}
void cli_mpi_found_post(size_t i) {
    if (i < found_best)
        found_best = i;
}
size_t cli_mpi_found_poll(void) {
    return found_best;
}
int cli_mpi_found_end(void) {
    return 0;
}
#endif

#ifdef HAVE_MPI
int cli_mpi_task_send(int rank, long task) {
    int rc = send_polling(&task, 1, MPI_LONG, rank, TAG_TASK);
    return rc == MPI_SUCCESS ? 0 : mpi_fail("dealing a task", rc);
}

int cli_mpi_task_recv(long *task) {
    int rc = recv_polling(task, 1, MPI_LONG, 0, TAG_TASK);
    return rc == MPI_SUCCESS ? 0 : mpi_fail("receiving a task", rc);
}

int cli_mpi_result_send(long task, int status, const char *buf, size_t len) {
    long head[3] = {task, status, (long)len};
    int rc = send_polling(head, 3, MPI_LONG, 0, TAG_HEAD);
    if (rc == MPI_SUCCESS && len > 0)
        rc = send_polling(buf, (int)len, MPI_CHAR, 0, TAG_BODY);
    return rc == MPI_SUCCESS ? 0 : mpi_fail("sending a result", rc);
}

int cli_mpi_result_recv(int *rank, long *task, int *status, char **buf, size_t *len) {
    long head[3];
    MPI_Request req;
    MPI_Status st;
    int rc = MPI_Irecv(head, 3, MPI_LONG, MPI_ANY_SOURCE, TAG_HEAD, MPI_COMM_WORLD, &req);
    if (rc == MPI_SUCCESS)
        rc = wait_polling(&req, &st);
    if (rc != MPI_SUCCESS)
        return mpi_fail("receiving a result", rc);
    *rank = st.MPI_SOURCE;
    *task = head[0];
    *status = (int)head[1];
    *len = (size_t)head[2];
    *buf = malloc(*len + 1);
    if (!*buf) {
        fprintf(stderr, CLI_NAME ": out of memory\n");
        return 1;
    }
    rc = *len ? recv_polling(*buf, (int)*len, MPI_CHAR, *rank, TAG_BODY) : MPI_SUCCESS;
    (*buf)[*len] = '\0';
    return rc == MPI_SUCCESS ? 0 : mpi_fail("receiving a result", rc);
}
#else
/* One process deals tasks to itself: callers never reach these with size 1. */
static int no_mpi(void) {
    fprintf(stderr, CLI_NAME ": internal error: no MPI ranks to deal to\n");
    return 1;
}
int cli_mpi_task_send(int rank, long task) {
    (void)rank;
    (void)task;
    return no_mpi();
}
int cli_mpi_task_recv(long *task) {
    *task = -1;
    return no_mpi();
}
int cli_mpi_result_send(long task, int status, const char *buf, size_t len) {
    (void)task;
    (void)status;
    (void)buf;
    (void)len;
    return no_mpi();
}
int cli_mpi_result_recv(int *rank, long *task, int *status, char **buf, size_t *len) {
    *rank = 0;
    *task = -1;
    *status = 1;
    *buf = NULL;
    *len = 0;
    return no_mpi();
}
#endif
