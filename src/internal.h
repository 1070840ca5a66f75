/* internal.h: helpers shared between the library's .c files; not installed.
 * Non-static helpers use the gpi_ prefix so the export regex ^gp_ hides them. */
#ifndef GRADPROOF_INTERNAL_H
#define GRADPROOF_INTERNAL_H

#include <gradproof/gradproof.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

/* sigma(z_i) into a_i and, if sp is not NULL, sigma'(z_i) into sp_i, for n contiguous
 * values: gp_sigmoid's formulas, on eight at a time with libmvec's exp in the AVX-512
 * variant (then within a few ulp of gp_sigmoid). */
void gpi_sigmoid_n(const double *z, double *a, double *sp, size_t n);
/* gp_log_sum_exp(z) given m = max z (its one home; ll_fn_z has m already). */
double gpi_log_sum_exp_at(const gsl_vector *z, double m);
/* The SIMD variant of the kernels that runs (cpu.c): AVX-512 F/BW/VL/DQ with FMA,
 * AVX2 with FMA, or the baseline instruction set. */
typedef enum { GPI_SIMD_BASELINE, GPI_SIMD_AVX2, GPI_SIMD_AVX512 } gpi_simd;
gpi_simd gpi_simd_level(void);

#if defined(HAVE_LIBMVEC) && defined(HAVE_X86_SIMD)
#include <immintrin.h>
/* glibc's libmvec, x86_64 vector function ABI (GLIBC 2.22: exp; 2.35: log1p, tanh), each
 * within 4 ulp by glibc's documentation. The target attribute gives the vector argument
 * its AVX-512 or AVX2 ABI (clang refuses the declaration without it). */
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_exp(__m512d x);
#if defined(HAVE_LIBMVEC_LOG1P)
#define GPI_HAVE_SOFTPLUS_SIMD                                                           \
    1 /* cost.c's cross-entropy terms, activation.c's softplus */
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_log1p(__m512d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_exp(__m256d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_log1p(__m256d x);
#endif
#if defined(HAVE_LIBMVEC_TANH)
#define GPI_HAVE_TANH_SIMD 1 /* activation.c: the tanh activation's batch form */
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_tanh(__m512d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_tanh(__m256d x);
#endif
#endif

/* The noun for a count n in a message: one when n == 1, else many ("1 entry"). */
#define GPI_PLURAL(n, one, many) ((n) == 1 ? (one) : (many))

/* Raise GSL_EBADLEN unless the two sizes agree. */
#define GPI_CHECK_LEN(n1, n2)                                                            \
    do {                                                                                 \
        if ((n1) != (n2))                                                                \
            GSL_ERROR("vector or matrix lengths differ", GSL_EBADLEN);                   \
    } while (0)

/* Refuse a NULL pointer argument p: raise GSL_EINVAL naming it and return ret
 * (GSL_EINVAL, NULL, NAN, SIZE_MAX; empty in a void function), as every public function
 * does. */
#define GPI_NONNULL(p, ret)                                                              \
    do {                                                                                 \
        if ((p) == NULL) {                                                               \
            gsl_error(#p " is NULL", __FILE__, __LINE__, GSL_EINVAL);                    \
            return ret;                                                                  \
        }                                                                                \
    } while (0)

/* c[i] = C_x of sample i < m by cost->fn_z, where z and y hold n outputs per sample,
 * sample after sample; bit-identical to fn_z on each sample, with the cross-entropy's
 * exp and log1p on all m n values at once (full vectors). work: m n doubles. */
void gpi_cost_samples(const gp_cost_type *cost, const double *z, const double *y,
                      size_t n, size_t m, double *work, double *c);
/* sum + C_x of columns 0..m-1 of Z and Y (n_L x m), added in column order: the same
 * terms and sums as gpi_cost_column column by column, faster. buf: 3 n_L m + m doubles.
 */
double gpi_cost_columns(double sum, const gp_cost_type *cost, const gsl_matrix *Z,
                        const gsl_matrix *Y, size_t m, double *buf);
/* Per-sample cost C_x of network output column i (stable fn_z form). */
double gpi_cost_column(const gp_cost_type *cost, const gsl_matrix *Z, const gsl_matrix *Y,
                       size_t i);

/* The 5-point numerical derivative for a precision: gsl_deriv_central for float64, the
 * same algorithm with FLT_EPSILON in its rounding estimate for float32. */
#include <gsl/gsl_math.h>
void gpi_deriv(const gsl_function *f, double x, const gp_fcheck_opts *opts,
               double *result, double *abserr);
/* GP_NOISE_FULL for an entry GP_NOISE_FAILING derives a second time (gpi_check_tensor):
 * derivative callbacks count its kinks once only, and a split check (gpi_params_given)
 * derives it from the case instead of reading it. */
#define GPI_NOISE_AGAIN ((gp_noise)(GP_NOISE_FAILING + 1))
/* The derivative of a checked function along coordinate coord, by gpi_deriv. */
typedef int (*gpi_coord_deriv)(void *ctx, size_t coord, const gp_fcheck_opts *opts,
                               double *result, double *abserr);
/* The engine's one loop (gradcheck.c): numerical derivatives at indices idx[0..k) of
 * tensor t (idx NULL: 0..k-1), then the tensor's scale, then each verdict of
 * analytic[offset + index] by gp_fcheck_add. */
int gpi_check_tensor(gp_fcheck_report *r, const gp_fcheck_opts *opts, size_t t,
                     const size_t *idx, size_t k, const gsl_vector *analytic,
                     gpi_coord_deriv deriv, void *ctx);
/* gp_gradcheck_params_given's verdicts, with `again` (and its ctx; NULL: none) deriving
 * parameter i afresh for the GPI_NOISE_AGAIN pass of GP_NOISE_FAILING. */
int gpi_params_given(const gp_network *net, const gp_gradient *analytic,
                     const gp_fcheck_opts *opts, const double *num, size_t n_at_kink,
                     gpi_coord_deriv again, void *actx, gp_fcheck_report *r);
/* A gradient (a candidate's) and a report that fit net: its layout, its 2L tensors
 * (GSL_EBADLEN otherwise). */
int gpi_params_fit(const gp_network *net, const gp_gradient *analytic,
                   const gp_fcheck_report *r);
/* Fold one comparison whose allowance was decided elsewhere into the report (the one
 * tally of gp_fcheck_add): it passed when pass is 1; score = error / allowed. */
void gpi_fcheck_add_allowed(gp_fcheck_report *r, size_t n_worst, size_t tensor,
                            size_t index, double analytic, double numeric, double abserr,
                            double allowed, int pass);
/* gp_bounds_compare_tensor, also folding each entry into report tensor t (if rep is not
 * NULL) with allowance bw + bo, passing unless the verdict is disagree. */
#include <gradproof/bounds.h>
int gpi_bounds_compare_tensor(const gp_bounds *bc, const gp_bounds *bo, const char *name,
                              const gsl_matrix *cand, const gsl_matrix *oracle,
                              gp_verdict_counts *out, gp_fcheck_report *rep, size_t t,
                              size_t n_worst);
/* The initial step for parameter w: h, or |w|/4 for a weight under L1, so that the
 * stencil (which reaches w +- h) stays on one side of the kink of |w| at 0. */
/* At a kink the candidate's own z decides the side (doc/bounds.md, the kink): where a
 * kinked hidden unit's candidate z^l_ji (cand's z tensors) lies on the other side than
 * the oracle's o, within both worst-case z bounds (bc: the candidate's, bo: the
 * oracle's), *sided receives a copy of net whose bias b^l_j moves the oracle's z^l_j
 * just across the kink toward the candidate (every flipped sample of the unit must
 * cross the same way; else the unit is left alone). The caller recomputes the oracle
 * and its bounds on *sided (caller frees). *n_flips: the samples moved (0: *sided
 * NULL). GSL_ENOMEM. */
#include <gradproof/dump.h>
int gpi_case_candidate_sides(const gp_network *net, const gsl_matrix *X,
                             const gp_bounds *bc, const gp_bounds *bo, const gp_dump *o,
                             const gp_dump *cand, gp_network **sided, size_t *n_flips);
/* gp_bounds_compute, with the candidate's dump pin (or NULL): at a kinked hidden unit
 * whose z in pin is exactly the kink, a correct implementation takes the documented
 * f'(0) = f'(0-) (relu'(0) = 0, leaky_relu'(0) = alpha), so the worst case does not
 * allow the other side there (bounds.c leaky_bound): a candidate with the other
 * convention disagrees (doc/bounds.md, "The kink"). */
int gpi_bounds_compute_pinned(const gp_network *net, const gsl_matrix *X,
                              const gsl_matrix *Y, const gp_regularization *reg,
                              const gp_bounds_model *model, const gp_dump *pin,
                              gp_bounds *b);
double gpi_l1_step(double h, double w, int is_w, const gp_regularization *reg);
/* Diagnose (gp_diag_tensor) on the entries where mask is non-zero only (NULL: all; mask
 * has the diagnosed tensor's shape and outlives the calls): a replayed compare record
 * holds only its worst entries, the rest being the oracle's (record.c). */
#include <gradproof/diagnose.h>
void gpi_diag_mask(gp_diag *d, const gsl_matrix *mask);
/* 1 and the first entry (*i, *j) of m (NULL: none) that is not finite, else 0. */
int gpi_matrix_nonfinite(const gsl_matrix *m, size_t *i, size_t *j);

/* ---- the SGD step engine (sgd.c, backprop.c, sparse.c) ----
 *
 * One step, for the batch gradient and for SGD alike, accumulates into a parameter set T:
 *   T.W^l <- beta_w (T.W^l - shrink sgn T.W^l) + alpha sum_x delta^l_x (a^{l-1}_x)^T
 * (BP4) T.b^l <- beta_b T.b^l + alpha sum_x delta^l_x (BP3) alpha = 1/m, beta = 0 gives
 * the batch gradient; alpha = -eta/m, beta_w = 1 - eta lambda/n, beta_b = 1 with T = the
 * network's own parameters is one fused SGD step (network2.py update_mini_batch; shrink =
 * eta l1/n / beta_w is the L1 step). It runs in three phases: layer 1's forward pass over
 * rows [r0, r1) (z^1, a^1, f'(z^1)); the upper phase (layers 2..L forward, BP1, BP2 down
 * to delta^1, updates of layers 2..L, each delta^{l-1} formed before W^l is written, so T
 * may alias the network); layer 1's update over rows [r0, r1). Only layer 1 sees the
 * input, so only it has backends: the dense batch (backprop.c) and sparse inputs against
 * W^1 in panels (sparse.c). Rows of layer 1 depend only on their own rows of W^1, b^1 and
 * delta^1, so two threads can share a step by rows (train.c), the first ("lead") also
 * running the upper phase. */
typedef struct gpi_step gpi_step;
typedef struct {
    int (*forward)(const gpi_step *st, size_t r0, size_t r1); /* z^1, a^1, f'(z^1) */
    void (*update)(const gpi_step *st, size_t r0, size_t r1); /* BP3, BP4 of layer 1 */
} gpi_layer1;
struct gpi_step {
    const gpi_layer1 *layer1;
    const gp_network *net;    /* shapes, activations, cost; W^l read by BP2 */
    gp_params *T;             /* accumulated into (may be the network's own) */
    gp_backprop_workspace *w; /* z, a, f'(z), delta */
    const gsl_matrix *Y;      /* n_L x m targets */
    size_t m;                 /* samples */
    double alpha, beta_w, beta_b, shrink;
    const gsl_matrix *X; /* dense backend: the batch, columns or (rows) rows */
    int rows;
    gp_sparse_sgd *s;          /* sparse backend: the panels of W^1, b^1 */
    const gp_sparse_batch *Xs; /* and the batch's non-zero inputs */
};

/* Validated step on the dense batch X into T (alpha = beta = shrink = 0: set them).
 * GSL_EBADLEN on shapes that do not fit. */
int gpi_step_dense(gpi_step *st, const gp_network *net, const gsl_matrix *X, int rows,
                   const gsl_matrix *Y, gp_backprop_workspace *w, gp_params *T);
/* Validated SGD step on W^1 in panels (sparse.c), for the sparse batch X or, when X is
 * NULL, the dense batch Xd (m x n_0, samples as rows: every input, blocked over the
 * samples): gp_sgd_params_check and, unless `gathered` (a batch the trainer built:
 * indices below n_0 and shapes right by construction), the batch's shapes and indices;
 * writes nothing but *st. */
int gpi_step_sparse(gpi_step *st, gp_sparse_sgd *s, const gp_sparse_batch *X,
                    const gsl_matrix *Xd, const gsl_matrix *Y, const gp_sgd_params *p,
                    int gathered);
/* gp_sparse_feedforward (X) or gp_sparse_feedforward_rows (Xd, X NULL); the batch is
 * checked unless `gathered` (as gpi_step_sparse). */
int gpi_sparse_forward(gp_sparse_sgd *s, const gp_sparse_batch *X, const gsl_matrix *Xd,
                       int gathered);
/* The upper phase (backprop.c); sets w->m. */
int gpi_step_upper(const gpi_step *st);

/* How two threads hand one step over: the lead waits for GPI_FORWARDED (the other's rows
 * of layer 1 forward) before the upper phase and posts GPI_DELTA1 after it; the other
 * posts GPI_FORWARDED, runs `between` (its own work), and waits for GPI_DELTA1 before its
 * update. wait returns 0 if the step was abandoned. */
enum { GPI_FORWARDED, GPI_DELTA1 };
typedef struct {
    int (*wait)(void *ctx, int event);
    void (*post)(void *ctx, int event);
    void (*between)(void *ctx);
    void *ctx;
} gpi_handoff;
/* One step, or one thread's share of it: layer 1's rows [r0, r1), and the upper phase if
 * lead. h == NULL: one thread (then r0 = 0, r1 = n_1). GSL_EFAILED if the other thread
 * abandoned the step. */
int gpi_step_run(const gpi_step *st, size_t r0, size_t r1, int lead,
                 const gpi_handoff *h);
/* alpha, decay (beta_w) and shrink of one SGD step on m samples, after
 * gp_sgd_params_check. */
int gpi_sgd_coefficients(const gp_sgd_params *p, size_t m, double *alpha, double *decay,
                         double *shrink);
/* Regularisation strengths finite and >= 0, else GSL_EDOM. */
int gpi_reg_check(double lambda, double l1);

/* n bytes from a cache-line boundary, rounded up to whole lines (free with free), and
 * an n x m matrix whose data starts on a cache line, owning its block
 * (gsl_matrix_free); NULL without memory (backprop.c). */
void *gpi_line_alloc(size_t n);
gsl_matrix *gpi_aligned_matrix(size_t n, size_t m);
/* C = alpha op(A) op(B) + beta C, gsl_blas_dgemm's contract (matmul.c): small products
 * in registers with AVX-512 (left-to-right sums, one FMA a term), the rest by the BLAS.
 */
int gpi_dgemm(CBLAS_TRANSPOSE_t ta, CBLAS_TRANSPOSE_t tb, double alpha,
              const gsl_matrix *A, const gsl_matrix *B, double beta, gsl_matrix *C);
/* The forward pass of layers 2..L over the first m columns, a^1 given (no f'). */
int gpi_forward_upper(const gp_network *net, gp_backprop_workspace *w, size_t m);
/* a^l = f(z^l) and, if want_sp, f'(z^l) for rows [r0, r1) of a hidden layer l < L
 * (the network's activation), or the cost's output activation for l = L (then r0 = 0,
 * r1 = n_L: softmax needs whole columns), over the first m columns of the workspace. */
int gpi_activate_rows(const gp_network *net, size_t l, size_t m, int want_sp,
                      gp_backprop_workspace *w, size_t r0, size_t r1);

/* Sparse inputs (sparse.c): layer 1's rows are split between threads in whole panels
 * of GPI_SPARSE_PANEL rows (r0 and r1 multiples of it, or n_1). */
#define GPI_SPARSE_PANEL 16
/* A sparse object for forward passes of a network it may not change
 * (gp_sparse_feedforward; gp_sparse_sgd_step refuses it, sync does nothing). */
gp_sparse_sgd *gpi_sparse_alloc_const(const gp_network *net, size_t max_batch);

/* The non-zero pixels of n images of dim bytes, found once (sparse.c), so that a batch
 * is gathered without scanning its images again. *out is NULL (and the caller scans:
 * gp_sparse_from_bytes) when dim > 65,536 or the index would be larger than the pixels
 * (more than a third non-zero); GSL_ENOMEM. gpi_sparse_set_get writes image i's entries
 * as gp_sparse_from_bytes would, the same indices and values, and returns their count. */
typedef struct gpi_sparse_set gpi_sparse_set;
/* value[j] = x_j / 255 for all dim bytes (the values gp_sparse_from_bytes gives the
 * non-zero ones); the non-zero bytes among len. */
void gpi_dense_from_bytes(const uint8_t *x, size_t dim, double *value);
size_t gpi_count_nonzero(const uint8_t *x, size_t len);
/* 1 when nnz non-zero pixels among len are too many for the sparse path: more than a
 * third. Above it an index of them would take more bytes than the pixels (so
 * gpi_sparse_set_alloc builds none), and the trainer and the evaluation take the dense
 * path, which measured faster there (README, "Dense inputs"). */
int gpi_dense_wins(size_t nnz, size_t len);
int gpi_sparse_set_alloc(const uint8_t *x, size_t n, size_t dim, gpi_sparse_set **out);
void gpi_sparse_set_free(gpi_sparse_set *set);
/* Ask for the cache lines of image i's entries (the next batch's, while this one runs).
 */
void gpi_sparse_set_prefetch(const gpi_sparse_set *set, size_t i);
size_t gpi_sparse_set_get(const gpi_sparse_set *set, size_t i, uint32_t *index,
                          double *value);

/* 1 if bytes[0, size) is a valid gsl_rng_mt19937 state of this machine (its size, and
 * the index mti in 0..624): what gp_trainer_set_state and the checkpoint reader accept.
 */
int gpi_mt_state_valid(const unsigned char *bytes, size_t size);

/* *ok = 1 when order[0..n-1] holds each of 0..n-1 once (train.c); GSL_ENOMEM. */
int gpi_is_permutation(const size_t *order, size_t n, int *ok);

/* GSL_SUCCESS when a trainer accepts state s (its own options, counters, generator and
 * order; train.c), else GSL_EINVAL with *why saying what is wrong, or GSL_ENOMEM. */
int gpi_trainer_state_check(const gp_trainer_state *s, const char **why);

#endif
