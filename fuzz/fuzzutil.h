/* fuzz/fuzzutil.h: what every libFuzzer harness of fuzz/ shares. The readers take a
 * path, so the input becomes a file without touching the disk: a memfd, opened again by
 * the reader as /proc/self/fd/N (a new open file description, offset 0). */
#ifndef GRADPROOF_FUZZUTIL_H
#define GRADPROOF_FUZZUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

/* libFuzzer's entry points. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A finding: the message names the broken promise, abort() makes libFuzzer save the
 * input. */
#define FUZZ_CHECK(cond, what)                                                           \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz: %s (%s:%d)\n", what, __FILE__, __LINE__);             \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* A reader's status and its result agree: success with a result, failure without. */
#define FUZZ_CHECK_RESULT(status, result)                                                \
    FUZZ_CHECK(((status) == GSL_SUCCESS) == ((result) != NULL),                          \
               "status and result disagree")

/* Read the input, as a file, with a reader of the library's convention
 * (int reader(const char *path, T **out, char *errbuf, size_t errlen)) into out; its
 * status and out must agree. */
#define FUZZ_READ(reader, data, size, out)                                               \
    do {                                                                                 \
        char fuzz_eb[512];                                                               \
        int fuzz_status =                                                                \
            reader(fuzz_file(0, data, size), &(out), fuzz_eb, sizeof fuzz_eb);           \
        FUZZ_CHECK_RESULT(fuzz_status, out);                                             \
    } while (0)

/* libFuzzer's one-time entry, the same for every harness. The library reports through
 * gsl_error, whose default handler aborts, which would make every rejected input a
 * "crash": it is turned off. A harness with more to set up defines FUZZ_SETUP as the
 * name of its static void (void) function before including this header. */
#ifdef FUZZ_SETUP
static void FUZZ_SETUP(void);
#endif
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    gsl_set_error_handler_off();
#ifdef FUZZ_SETUP
    FUZZ_SETUP();
#endif
    return 0;
}

/* Put data[0..size) into memfd number `slot` (0..3) and return its path, valid until
 * the next call with the same slot. */
static inline const char *fuzz_file(int slot, const uint8_t *data, size_t size) {
    static int fd[4] = {-1, -1, -1, -1};
    static char path[4][64];
    if (fd[slot] < 0) {
        fd[slot] = memfd_create("gradproof-fuzz", 0);
        FUZZ_CHECK(fd[slot] >= 0, "memfd_create failed");
        snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
    }
    FUZZ_CHECK(ftruncate(fd[slot], 0) == 0, "ftruncate failed");
    FUZZ_CHECK(size == 0 || pwrite(fd[slot], data, size, 0) == (ssize_t)size,
               "pwrite failed");
    return path[slot];
}

/* A private directory for files that must live in a real directory (atomic writes,
 * the MNIST file names): under /dev/shm when it exists, else $TMPDIR or /tmp. Removed
 * with its files at exit by the harness that made it. */
static inline const char *fuzz_dir(void) {
    static char dir[256];
    if (dir[0] == '\0') {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/gradproof-fuzz-XXXXXX", base ? base : "/tmp");
        FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp failed");
    }
    return dir;
}

/* The path NAME in fuzz_dir() for a harness's save/reload round trip; the file and the
 * directory are removed at exit. Call once, from the harness's FUZZ_SETUP. */
static char fuzz_saved_path[512];

static inline void fuzz_saved_cleanup(void) {
    unlink(fuzz_saved_path);
    rmdir(fuzz_dir());
}

static inline const char *fuzz_saved(const char *name) {
    snprintf(fuzz_saved_path, sizeof fuzz_saved_path, "%s/%s", fuzz_dir(), name);
    atexit(fuzz_saved_cleanup);
    return fuzz_saved_path;
}

#endif
