/* gradproof/gradcheck.h: the check engine. One pass rule, one report, and the checks
 * built on them: any f: R^n -> R with a claimed gradient (gp_fcheck_*), the network's
 * own formulas on a case (gp_check_formula: delta^l, dC/dW, dC/db, with and without
 * L2/L1), the oracle (oracle.h), compare and replay.
 *
 * The pass rule (gp_fcheck_rule). A claimed value g passes against a reference d with
 * error estimate abserr (GSL's 5-point central difference estimates its truncation +
 * rounding error; exact references have abserr = 0) when
 *     |g - d| <= abserr_factor * abserr + atol + rtol * max(|g|, |d|) + stol * scale,
 * where scale is the largest |reference| in the entry's tensor: GSL's own estimate
 * carries the verdict, the floors absorb rounding noise, and stol * scale the
 * cancellation error of entries much smaller than their neighbours. NaN fails.
 * Tolerances follow the precision the candidate declares (gp_fcheck_opts_default). */
#ifndef GRADPROOF_GRADCHECK_H
#define GRADPROOF_GRADCHECK_H

#include <gradproof/backprop.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GP_GRADCHECK_MAX_WORST 16
/* Relative errors are summarised only where the gradient is at least this large (or
 * the entry failed); below it a 5-point difference of an O(1) cost resolves only
 * absolute error (~1e-10). */
#define GP_GRADCHECK_REL_FLOOR 1e-5

/* Arithmetic of a candidate: each gets the bounds of its unit roundoff u (2^-53,
 * 2^-24, 2^-8, 2^-11). bfloat16 and float16 are never inferred, only asked for. */
typedef enum { GP_FLOAT64, GP_FLOAT32, GP_BFLOAT16, GP_FLOAT16 } gp_precision;
#define GP_N_PRECISIONS 4

/* "float64", "float32", "bfloat16", "float16" (the names of gp_bounds_model_init);
 * gp_precision_lookup also reads "bf16" and "f16", returns 0 and sets *p, or
 * GSL_EINVAL. */
const char *gp_precision_name(gp_precision p);
int gp_precision_lookup(const char *name, gp_precision *p);

/* How a numerical derivative treats the noise of f (gp_fcheck_opts.noise).
 * GP_NOISE_OFF: one ulp of |f| assumed (GSL's estimate), the step h.
 * GP_NOISE_FULL: every derivative measures the noise eps_f of f at its point (ECnoise,
 *   gp_fcheck_noise) instead of assuming one ulp, takes the better of the step h and
 *   More and Wild's step from the noise, and an entry that passes only because of the
 *   noise, with under one significant digit, is inconclusive (gp_fcheck_add).
 * GP_NOISE_FAILING (the default): one ulp assumed, and only an entry that this fails is
 *   derived again as GP_NOISE_FULL does; where its difference then lies within the
 *   error the measured noise leaves (the pass rule with that derivative and error
 *   estimate), it is inconclusive, with that derivative's digits; else it stays the
 *   failure the one-ulp rule found, and the report's verdict is decided: entries that
 *   fail after it are not derived again (they stay one-ulp failures). Never a pass: an
 *   entry the one-ulp rule passes is unchanged, one it fails is a failure or
 *   inconclusive; a right gradient costs no evaluation more (doc/bounds.md). */
typedef enum { GP_NOISE_OFF, GP_NOISE_FULL, GP_NOISE_FAILING } gp_noise;

typedef struct {
    gp_precision precision;
    double h;             /* initial step of the 5-point rule */
    double abserr_factor; /* weight of the numerical error estimate */
    double atol, rtol;    /* absolute and relative floors */
    double stol;          /* floor per unit of the tensor's scale */
    size_t n_worst;       /* worst offenders kept, <= GP_GRADCHECK_MAX_WORST */
    gp_noise noise;       /* above [GP_NOISE_FAILING] */
} gp_fcheck_opts;

/* Defaults for a precision with unit roundoff eps (DBL_EPSILON or FLT_EPSILON):
 *   float64: h 1e-4, abserr_factor 4, atol 1e-8, rtol 1e-6, stol 64 eps, n_worst 5
 *            (the options of every check of gradproof's own formulas);
 *            noise GP_NOISE_FAILING (every precision: the noise of failing entries);
 *   float32: h 1e-2 (about eps^(1/5), the step where the 5-point rule's h^4 truncation
 *            meets its eps/h rounding), abserr_factor 4, atol 8 eps = 9.5e-7,
 *            rtol 4 sqrt(eps) = 1.4e-3 (float32 loses about half its digits in
 *            1 - a of saturated sigmoids), stol 64 eps = 7.6e-6. */
void gp_fcheck_opts_default(gp_fcheck_opts *opts, gp_precision p);
/* GSL_EINVAL unless precision and noise are known, h finite > 0, abserr_factor, atol,
 * rtol and stol finite >= 0 and n_worst <= GP_GRADCHECK_MAX_WORST. Every check taking
 * a gp_fcheck_opts refuses options that fail it (before any entry is checked). */
int gp_fcheck_opts_check(const gp_fcheck_opts *opts);
/* Tolerances for comparing a candidate with exact reference values (no numerical
 * derivative in between, abserr = 0), the same formulas for both precisions:
 * atol 8 eps, rtol 4 sqrt(eps), stol 64 eps; float64: 1.8e-15, 6.0e-8, 1.4e-14;
 * float32: 9.5e-7, 1.4e-3, 7.6e-6. rtol covers the cancellation in 1 - a of
 * saturated sigmoids (relative error eps / (1 - a)) down to 1 - a = sqrt(eps) / 4. */
void gp_fcheck_opts_compare(gp_fcheck_opts *opts, gp_precision p);

/* The pass rule above, the only one: returns 1 if `analytic` passes against
 * `numeric`, 0 if not (always 0 for NaN or infinity); *allowed (if not NULL) receives
 * its right-hand side. */
int gp_fcheck_rule(const gp_fcheck_opts *opts, double analytic, double numeric,
                   double abserr, double scale, double *allowed);

/* What a tensor is: a weight matrix W^l, a bias b^l, the pre-activations z^l (whose
 * derivatives are delta^l; columns are samples), or any other slice of an argument. */
typedef enum { GP_TENSOR_OTHER, GP_TENSOR_W, GP_TENSOR_B, GP_TENSOR_Z } gp_tensor;

/* A named slice x[offset .. offset+length) of the argument: one tensor. cols > 0 marks
 * a row-major matrix of cols columns, so that reports can say W1[j][k] (0: a vector).
 * kind and layer (1-based, 0 if none) say what it is in a network. */
typedef struct {
    const char *name; /* copied into reports (at most 15 characters kept) */
    size_t offset, length;
    size_t cols;
    gp_tensor kind;
    size_t layer;
} gp_tensor_range;

/* The tensor index of directional entries. */
#define GP_FCHECK_DIRECTIONS ((size_t)-1)

typedef struct {
    size_t tensor;    /* index into report->tensors, or GP_FCHECK_DIRECTIONS */
    size_t index;     /* flat index in the tensor (row index / cols, index % cols), or
                         the direction number */
    size_t coord;     /* coordinate of x (offset + index); 0 for directions */
    double analytic;  /* the candidate's value */
    double numeric;   /* the reference: a numerical derivative or an oracle's value */
    double abserr;    /* error estimate of the reference (0 for exact references) */
    double error;     /* |analytic - numeric| */
    double rel_error; /* error / max(|analytic|, |numeric|) (0 when both are 0) */
    double allowed;   /* right-hand side of the pass rule */
    double score;     /* error / allowed: > 1 fails; inf for NaN */
    double digits;    /* significant digits of the reference, log10(|numeric| / abserr)
                         in [0, GP_FCHECK_MAX_DIGITS] (the maximum when abserr = 0) */
} gp_fcheck_entry;

/* The digits of an exact reference: binary64 carries about 16 significant digits. */
#define GP_FCHECK_MAX_DIGITS 16.0

/* Per-tensor summary. */
typedef struct {
    char name[16];
    size_t offset, length, cols;
    gp_tensor kind;
    size_t layer;
    size_t n_checked, n_failed;
    double scale; /* max |reference| over the tensor */
    /* NaN when an entry's error is NaN (a NaN candidate value); so in the report */
    double max_abs_error, max_rel_error, max_score;
} gp_fcheck_tensor;

/* The one report of every check. */
typedef struct {
    size_t n_tensors;
    gp_fcheck_tensor *tensors;   /* n_tensors summaries, in the order given */
    gp_fcheck_tensor directions; /* directional checks ("directions") */
    size_t n_checked, n_failed;  /* over everything above */
    double max_abs_error, max_rel_error;
    double sum_abs_numeric; /* zero means the check saw no signal */
    size_t n_at_kink;       /* entries whose reference is a one-sided derivative: a
                               ReLU/leaky unit's z sat at its kink (gp_gradcheck_*) */
    size_t n_worst;
    gp_fcheck_entry worst[GP_GRADCHECK_MAX_WORST]; /* highest score first */
    /* GP_NOISE_FULL: entries that passed only by the measured noise's allowance
     * while the reference has under one significant digit; GP_NOISE_FAILING: entries
     * the one-ulp rule failed whose difference lies within the measured noise's error.
     * They are not failures (n_failed leaves them out) and not passes: the verdict is
     * fail if n_failed > 0, else inconclusive if n_inconclusive > 0, else pass. */
    size_t n_inconclusive;
    double min_digits; /* fewest digits of any entry (GP_FCHECK_MAX_DIGITS if none) */
} gp_fcheck_report;

/* A report for these tensors (ranges are copied). t == NULL means one tensor "x" of
 * length n_tensors. NULL on GSL_ENOMEM. Checks add to a report's tallies: one reused for
 * another check keeps the earlier failures unless gp_fcheck_report_reset is called. */
gp_fcheck_report *gp_fcheck_report_alloc(const gp_tensor_range *t, size_t n_tensors);
void gp_fcheck_report_free(gp_fcheck_report *r);
/* Zero every tally (keeps the tensors). */
void gp_fcheck_report_reset(gp_fcheck_report *r);
/* Set a tensor's scale (max |reference| over it) before adding its entries. A tensor
 * index here and in gp_fcheck_add is < n_tensors or GP_FCHECK_DIRECTIONS; any other
 * raises GSL_EINVAL (gp_fcheck_add returns 0) and changes nothing. */
void gp_fcheck_set_scale(gp_fcheck_report *r, size_t tensor, double scale);
/* Fold one comparison into the report (gp_fcheck_rule with the tensor's scale);
 * returns 1 if it passed, 0 if not, 2 if inconclusive: with GP_NOISE_FULL, an entry that
 * passes while abserr_factor * abserr exceeds the floors (atol + rtol max + stol scale)
 * and the reference has under one digit (|numeric| < 10 abserr): the measured noise
 * makes any verdict there meaningless. */
int gp_fcheck_add(gp_fcheck_report *r, const gp_fcheck_opts *opts, size_t tensor,
                  size_t index, double analytic, double numeric, double abserr);
/* Where an entry lies: its tensor's kind and layer, row and column (index / cols and
 * index % cols, or index and 0 for vectors); any output pointer may be NULL. GSL_EINVAL
 * raised, nothing written, for an entry whose tensor r has not (or a NULL r or e). */
void gp_fcheck_entry_locate(const gp_fcheck_report *r, const gp_fcheck_entry *e,
                            gp_tensor *kind, size_t *layer, size_t *row, size_t *col);
/* "W2[3][1]" (matrices: cols > 0), "b1[4]", "z1[0][5]" (row j, sample i), "x[7]",
 * "directions[2]", or the bare name of a one-entry vector ("cost"). "" with GSL_EINVAL
 * raised as gp_fcheck_entry_locate, or for a NULL buf. */
void gp_fcheck_entry_name(const gp_fcheck_report *r, const gp_fcheck_entry *e, char *buf,
                          size_t len);
/* Compare a candidate with exact reference values, tensor by tensor: cand and ref hold
 * n doubles each, laid out as the report's ranges describe. Each tensor's scale is
 * max |ref| over it. GSL_EINVAL for bad options (gp_fcheck_opts_check) or a NULL
 * argument, GSL_EBADLEN (nothing read) for a range that runs past n. */
int gp_fcheck_compare(const double *cand, const double *ref, size_t n,
                      const gp_fcheck_opts *opts, gp_fcheck_report *r);

/* f and its claimed gradient, with a user pointer (the shape of GSL's
 * gsl_multimin_function_fdf). f returns NaN to signal failure; df returns a GSL status.
 */
typedef struct {
    size_t n;
    double (*f)(const gsl_vector *x, void *params);
    int (*df)(const gsl_vector *x, void *params, gsl_vector *g);
    void *params;
} gp_function_fdf;

/* (a) Every coordinate in the report's ranges: the claimed g_i against the 5-point
 * numerical derivative (gsl_deriv_central for float64; for float32 the same algorithm
 * with FLT_EPSILON in its rounding estimate, so that its step refinement stays honest).
 * With GP_NOISE_FULL (for every engine below, and gradproof's own formula checks too;
 * GP_NOISE_FAILING: for the entries the one-ulp rule fails):
 * ECnoise on 9 values of f along the coordinate (spacing 1e-6 max(1, |x_i|), moved
 * 100x while gp_fcheck_noise says too small or too large, 4 tries) measures the noise
 * eps_f, which replaces eps |f| in the rounding estimate (6 eps_f / h for the 5-point
 * rule, GSL's 6 eps |f| / h); a second step h_n = 8^(1/4) (eps_f / mu)^(1/2) (More and
 * Wild, "Estimating derivatives of noisy simulations", ACM TOMS 38(3), 2012; mu = |f''|
 * from a second difference at eps_f^(1/4), 10x larger while it is under 100 eps_f,
 * 3 tries) competes with h, and the smaller error estimate wins. Without a measured
 * noise (f too smooth for ECnoise) the derivative is the one-ulp one.
 * Returns a GSL status (of df, or GSL_EBADLEN for ranges outside x); the verdict is
 * report->n_failed == 0. */
int gp_fcheck_full(const gp_function_fdf *F, const gsl_vector *x,
                   const gp_fcheck_opts *opts, gp_fcheck_report *r);
/* (b) A budget of coordinates, stratified: every non-empty tensor gets one, the rest in
 * proportion to length (largest remainders), each drawn without replacement
 * (gsl_ran_choose) from an MT19937 seeded with `seed`. Exactly max(budget, number of
 * tensors) coordinates are checked; budget >= the total length checks everything. */
int gp_fcheck_sampled(const gp_function_fdf *F, const gsl_vector *x, size_t budget,
                      unsigned long seed, const gp_fcheck_opts *opts,
                      gp_fcheck_report *r);
/* (c) n_dirs random unit vectors d (seeded): the numerical derivative of
 * t -> f(x + t d) at 0 against <g, d>. Entries go to r->directions. */
int gp_fcheck_directional(const gp_function_fdf *F, const gsl_vector *x, size_t n_dirs,
                          unsigned long seed, const gp_fcheck_opts *opts,
                          gp_fcheck_report *r);

/* (d) Taylor remainder along a random unit direction d:
 *     r(h) = |f(x + h d) - f(x) - h <g, d>|
 * is O(h^2) when g is the gradient and O(h) when it is not. Over h = 2^0 .. 2^-(n-1)
 * the points where r(h) stands 100x above its rounding level (eps of the declared
 * precision times |f| and h|<g,d>|) are kept; the least-squares slope of ln r against
 * ln h over the smallest-h window of up to 6 of them is the observed order. Verdict
 * without a tolerance: pass iff order > 1.5 (between the two outcomes). If fewer than 3
 * points qualify, r stayed at rounding level: f is affine along d and <g,d> is right
 * (GP_TAYLOR_FLAT, a pass), provided f was finite along the sweep. A NaN or infinity
 * in f(x), <g, d> or along the sweep fails (GP_TAYLOR_FAIL, order NaN). */
/* With GP_NOISE_FULL, the noise eps_f of f along d (ECnoise at 0) joins the rounding
 * level as 6 eps_f (two noisy values in r), and a sweep with fewer than 3 points above
 * it, where eps_f exceeds 8 eps |f(x)|, is GP_TAYLOR_INCONCLUSIVE, not FLAT: the noise,
 * not an affine f, hid the remainder. With GP_NOISE_FAILING a sweep that fails with one
 * ulp assumed is run again so; a verdict that is then not FAIL is INCONCLUSIVE. */
#define GP_TAYLOR_MAX 40
typedef enum {
    GP_TAYLOR_PASS,
    GP_TAYLOR_FAIL,
    GP_TAYLOR_FLAT,
    GP_TAYLOR_INCONCLUSIVE
} gp_taylor_verdict;
typedef struct {
    size_t n; /* sweep points */
    double h[GP_TAYLOR_MAX];
    double remainder[GP_TAYLOR_MAX];
    int used[GP_TAYLOR_MAX]; /* 1 where the point entered the fit */
    double order;            /* fitted slope (NaN for FLAT) */
    gp_taylor_verdict verdict;
    double noise; /* eps_f measured along d (GP_NOISE_FULL, or GP_NOISE_FAILING after a
                     failure; 0 if none was found or not measured) */
} gp_taylor_result;
int gp_fcheck_taylor(const gp_function_fdf *F, const gsl_vector *x, unsigned long seed,
                     const gp_fcheck_opts *opts, gp_taylor_result *res);

/* ECnoise (More and Wild, "Estimating computational noise", SIAM J. Sci. Comput. 33(3),
 * 2011): the noise level eps_f (standard deviation) of f from nf values
 * fval[i] = f(x + (i - (nf-1)/2) h p), i = 0 .. nf-1 (4 <= nf <= 16, equally spaced):
 * the k-th differences give sigma_k = sqrt(gamma_k mean(Delta^k f^2)), gamma_k =
 * (k!)^2/(2k)!; the first k whose sigma_k .. sigma_{k+2} agree within a factor 4 and
 * whose differences change sign gives *noise. GSL_ETOL: h too small (half the first
 * differences are 0; *noise = 0), GSL_ERANGE: h too large (no level found, or f varies
 * by more than 10 %), GSL_EINVAL for nf out of range. */
int gp_fcheck_noise(const double *fval, size_t nf, double *noise);

/* ---- gradproof's own formulas on one case ---- */

/* The derivation checks: delta^l = dC_x/dz^l (BP1, BP2; per sample, unregularised),
 * dC/dW and dC/db of the batch cost (BP3, BP4), and the latter with the L2/L1 terms. */
typedef enum { GP_FORMULA_DELTA, GP_FORMULA_PARAMS, GP_FORMULA_REG } gp_formula;
#define GP_N_FORMULAS 3
/* "delta", "params", "params+reg"; gp_formula_lookup: 0, or GSL_EINVAL if unknown. */
const char *gp_formula_name(gp_formula f);
int gp_formula_lookup(const char *name, gp_formula *f);

/* A report for formula f on net with m samples: W1, b1, ... for the parameter
 * formulas (m unused); z1 .. zL (n_l x m, column i sample i) for delta. NULL on
 * GSL_ENOMEM, or GSL_EINVAL for an unknown f, or for delta m = 0 or the z1 .. zL
 * entries past SIZE_MAX. */
gp_fcheck_report *gp_formula_report_alloc(gp_formula f, const gp_network *net, size_t m);

/* Compare every entry of `analytic` (a gradient of the total cost gp_total_cost(net, X,
 * Y, reg)) with the 5-point numerical derivative (gsl_deriv_central for float64). r has
 * the network's 2L tensors (gp_formula_report_alloc). With L1 the step is kept below
 * |w|/4, on one side of the kink of |w|. The network is not modified. Returns a GSL
 * status; the verdict is r->n_failed == 0. */
int gp_gradcheck_params(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        const gp_regularization *reg, const gp_gradient *analytic,
                        const gp_fcheck_opts *opts, gp_fcheck_report *r);

/* gp_gradcheck_params in two parts, so that its costly half can be spread over
 * processes (as gp_oracle_numeric and gp_oracle_check_given):
 * gp_gradcheck_params_numeric: the numerical derivatives gp_gradcheck_params compares
 * with, kink rule included, of parameters lo..hi-1 (num[2(i - lo)] the derivative,
 * num[2(i - lo) + 1] its error estimate; 2(hi - lo) doubles); *n_at_kink (if not NULL)
 * gains the number of them taken one-sided at a kink. Each depends on its parameter
 * alone, so ranges computed apart join into those of one full check. GSL_EINVAL for a
 * range outside n_params, GSL_EBADLEN for no samples.
 * gp_gradcheck_params_given: the verdicts from those derivatives (num holds all
 * 2 n_params values, by parameter index; n_at_kink the count over all of them, added
 * to r->n_at_kink): gp_gradcheck_params's report, entry for entry. X, Y, reg: the
 * case again, so that GP_NOISE_FAILING can derive a failing entry again with its noise
 * measured; X = NULL: failing entries stay failures (the one-ulp rule alone). */
int gp_gradcheck_params_numeric(const gp_network *net, const gsl_matrix *X,
                                const gsl_matrix *Y, const gp_regularization *reg,
                                const gp_fcheck_opts *opts, size_t lo, size_t hi,
                                double *num, size_t *n_at_kink);
int gp_gradcheck_params_given(const gp_network *net, const gsl_matrix *X,
                              const gsl_matrix *Y, const gp_regularization *reg,
                              const gp_gradient *analytic, const gp_fcheck_opts *opts,
                              const double *num, size_t n_at_kink, gp_fcheck_report *r);

/* Compare delta^l (BP1, BP2) with the numerical dC_x/dz^l_j, for every layer l, neuron
 * j and sample i: delta[l-1] is n_l x m (extra columns ignored), column i sample i.
 * C_x is the unregularised per-sample cost (regularisation does not depend on z).
 * r has the tensors z1 .. zL (gp_formula_report_alloc(GP_FORMULA_DELTA, net, m)). */
int gp_gradcheck_deltas(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        gsl_matrix *const *delta, const gp_fcheck_opts *opts,
                        gp_fcheck_report *r);

/* Check formula f on one case: run backprop on (net, X, Y) (with reg for
 * GP_FORMULA_REG, where NULL is GSL_EINVAL; reg is ignored otherwise and may be NULL),
 * then check its output (gp_gradcheck_deltas or gp_gradcheck_params) into r
 * (gp_formula_report_alloc). Returns a GSL status; the verdict is r->n_failed == 0. */
int gp_check_formula(gp_formula f, const gp_network *net, const gsl_matrix *X,
                     const gsl_matrix *Y, const gp_regularization *reg,
                     const gp_fcheck_opts *opts, gp_fcheck_report *r);

/* Per-sample cost C_x as a function of z^l (1 <= l <= L) for one sample: the
 * network is run forward from layer l. zl has n_l entries. */
int gp_cost_from_z(const gp_network *net, size_t l, const gsl_vector *zl,
                   const gsl_vector *y, double *cost);

/* ---- random cases, shared by `gradproof check` and the test suites ---- */

/* Kinks on purpose in a random case (hidden layers with a kink: ReLU, leaky ReLU). */
typedef enum {
    GP_CASE_KINK_NONE, /* as drawn (z never sits exactly on a kink) */
    GP_CASE_KINK_ON,   /* one unit of one sample exactly on its kink */
    GP_CASE_KINK_NEAR  /* one unit of one sample within 1e-9 .. 1e-5 of it */
} gp_case_kink;

/* Limits of a random case: layer count, widths, batch size, and the range of the weight
 * scale, drawn log-uniformly (tiny scales keep sigma' near 1/4, large ones saturate). */
typedef struct {
    size_t min_layers, max_layers; /* weight layers L [1, 4] */
    size_t min_width, max_width;   /* widths [1, 10], at most GP_MAX_WIDTH */
    size_t min_batch, max_batch;   /* batch m [1, 16], at most GP_MAX_WIDTH */
    double scale_min, scale_max;   /* [1e-3, 10] */
    int square_hidden;             /* n_1 = ... = n_L (for transpose mutants) [0] */
    /* Hidden activations: every hidden layer's if not NULL [NULL]; else, if
     * draw_activations, each hidden layer's drawn uniformly from gp_activations (leaky
     * ReLU's alpha log-uniform in [1e-3, 0.5)) [0]; else sigmoid. */
    const gp_activation *activation;
    int draw_activations;
    /* Drawn last: a kinked hidden layer l, unit j and sample i (uniformly), and for
     * NEAR an offset log-uniform in [1e-9, 1e-5) of random sign; b^l_j is then set so
     * that z^l_ji = (W^l a^{l-1})_ji + b^l_j is the kink plus the offset, to the bit
     * when gp_feedforward confirms it (gp_case_place_kink). No draws and no change
     * without a kinked layer [GP_CASE_KINK_NONE]. */
    gp_case_kink kink;
} gp_case_opts;

void gp_case_opts_default(gp_case_opts *opts);

/* Targets fitting the cost: one-hot (softmax outputs); any value in [0, 1] for
 * cross-entropy, with the ends 0 and 1 themselves drawn 15 % of the time each;
 * 1.5 N(0, 1) otherwise (quadratic costs take any real target). */
void gp_case_fill_target(gsl_rng *r, const gp_cost_type *cost, gsl_vector *y);

/* A random network with the given cost (hidden activations as opts says, drawn after
 * everything else, so a sigmoid case's draws do not change), weights and biases scale
 * N(0, 1) with scale
 * log-uniform in [scale_min, scale_max), inputs N(0,1), targets by gp_case_fill_target
 * (m = X->size2 samples). Softmax outputs get at least 2 classes. Caller frees all
 * three; scale may be NULL. GSL_EINVAL for bad limits or another NULL pointer,
 * GSL_ENOMEM when memory runs out (nothing is returned then). */
int gp_case_random(gsl_rng *r, const gp_cost_type *cost, const gp_case_opts *opts,
                   gp_network **net, gsl_matrix **X, gsl_matrix **Y, double *scale);

/* Move hidden unit j of layer l (1 <= l < L, a kinked activation: ReLU, leaky ReLU)
 * to z^l_ji = kink + off for sample i (column i of X) by shifting its bias b^l_j,
 * checked through gp_feedforward (rounding may need a second round; at most 6).
 * *exact = 1 if z^l_ji equals kink + off exactly. Other samples' z^l_j move by the same
 * shift. GSL_EINVAL for a unit, layer or sample that does not exist or a layer without
 * a kink, GSL_EDOM for an off that is not finite (the bias unchanged), GSL_ENOMEM. */
int gp_case_place_kink(gp_network *net, const gsl_matrix *X, size_t l, size_t j, size_t i,
                       double off, int *exact);

#ifdef __cplusplus
}
#endif
#endif
