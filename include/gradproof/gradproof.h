/* gradproof/gradproof.h: the whole public API.
 *
 * Errors: a function that fails returns a GSL status (and, for files, a message in
 * errbuf), after reporting the error to GSL's error handler (GSL_ERROR), as GSL's own
 * functions do. GSL's default handler prints it and aborts, a missing file included:
 * call gsl_set_error_handler_off() (or set a handler of your own) before using the
 * library to get the statuses back.
 *
 * NULL: a NULL pointer argument is refused with GSL_EINVAL raised (tests/check_api.c
 * calls every function so): status functions return GSL_EINVAL, allocators and
 * borrowing getters NULL, double-valued ones NaN, size_t-valued ones SIZE_MAX (counts:
 * 0), questions and verdicts 0 (gp_fcheck_rule and gp_fcheck_add: a failure, never a
 * pass; gp_activation_kink: no kink), void ones return doing nothing. Exceptions, as
 * each header says: the arguments documented as optional (errbuf, reg, opts, counters,
 * outputs "may be NULL"), the _free functions (NULL does nothing), and the lookups
 * (gp_cost_lookup, gp_activation_lookup, gp_netio_cost_name: NULL, nothing raised). */
#ifndef GRADPROOF_GRADPROOF_H
#define GRADPROOF_GRADPROOF_H

#include <gradproof/activation.h>
#include <gradproof/atomic.h>
#include <gradproof/backprop.h>
#include <gradproof/bounds.h>
#include <gradproof/checkpoint.h>
#include <gradproof/cost.h>
#include <gradproof/diagnose.h>
#include <gradproof/dump.h>
#include <gradproof/gradcheck.h>
#include <gradproof/hunt.h>
#include <gradproof/idx.h>
#include <gradproof/netio.h>
#include <gradproof/network.h>
#include <gradproof/neuron.h>
#include <gradproof/npy.h>
#include <gradproof/oracle.h>
#include <gradproof/record.h>
#include <gradproof/sgd.h>
#include <gradproof/sparse.h>
#include <gradproof/train.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, e.g. "0.1.0". */
const char *gp_version(void);
/* The SIMD variant of the training and evaluation kernels in use: "avx512", "avx2" or
 * "baseline", the best the CPU runs unless the environment variable GRADPROOF_SIMD names
 * a lower one. (Results differ between variants by rounding only.) */
const char *gp_simd(void);

#ifdef __cplusplus
}
#endif
#endif
