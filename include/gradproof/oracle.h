/* gradproof/oracle.h: the network oracle, a fast full gradient check of a network.
 *
 * Perturbing one parameter changes little of the forward pass: W^l_jk (or b^l_j) moves
 * only z^l_j, by dt a^{l-1}_k (or dt) per sample; downstream of it, layer l+1 changes by
 * the rank-one term W^{l+1}_{:j} (a^l_j' - a^l_j) and later layers by W (a' - a). The
 * oracle caches the forward pass once and re-evaluates only that, sample by sample
 * (samples whose a^{l-1}_k is 0 do not change at all). A full 5-point check of
 * [784,30,10] on 10 samples then costs about as much as a few hundred forward passes
 * instead of ~100,000.
 *
 * The verdicts are the check engine's (gp_fcheck_rule, gradcheck.h): tensors are W1,
 * b1, W2, ... as gp_formula_report_alloc lays them out. */
#ifndef GRADPROOF_ORACLE_H
#define GRADPROOF_ORACLE_H

#include <gradproof/gradcheck.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Cached forward pass of one network on one batch (opaque). */
typedef struct gp_oracle gp_oracle;

/* Cache the forward pass of net on X (n_0 x m, samples as columns) with targets Y
 * (n_L x m) and optional regularisation (reg->n = 0 means n = m). The network and data
 * are copied: later changes to them are not seen. NULL on GSL_EINVAL (a NULL net, X
 * or Y; reg may be NULL), GSL_EBADLEN (shapes), GSL_EDOM (bad regularisation) or
 * GSL_ENOMEM. */
gp_oracle *gp_oracle_alloc(const gp_network *net, const gsl_matrix *X,
                           const gsl_matrix *Y, const gp_regularization *reg);
void gp_oracle_free(gp_oracle *o);

/* The total cost C (as gp_total_cost) at the cached parameters. */
double gp_oracle_cost(const gp_oracle *o);

/* The total cost with parameter i (index into the params block) replaced by t, by
 * re-evaluating only what lies downstream of it. Equals gp_total_cost on the perturbed
 * network to rounding. GSL_EINVAL if i >= n_params. */
int gp_oracle_perturbed_cost(gp_oracle *o, size_t i, double t, double *cost);

/* A report for the network's 2L tensors W1, b1, W2, ... (free with
 * gp_fcheck_report_free): gp_formula_report_alloc(GP_FORMULA_PARAMS, net, 0). */
gp_fcheck_report *gp_oracle_report_alloc(const gp_network *net);

/* Full check: every parameter's candidate derivative (candidate has the network's
 * layout; for a float32 candidate pass its values widened to double) against
 * gsl_deriv_central of the cached cost, with opts->h as the initial step. Counts of
 * cost evaluations are added to *n_evals when it is not NULL. Returns a GSL status;
 * the verdict is r->n_failed == 0. */
int gp_oracle_check(gp_oracle *o, const gp_gradient *candidate,
                    const gp_fcheck_opts *opts, gp_fcheck_report *r, size_t *n_evals);

/* The full check in two parts, so that its costly half can be spread over processes.
 * gp_oracle_numeric: the numerical derivatives gp_oracle_check compares with, of
 * parameters lo..hi-1 (num[2(i - lo)] the derivative, num[2(i - lo) + 1] its error
 * estimate; 2(hi - lo) doubles). Each depends on its parameter alone, so ranges computed
 * apart join into those of one full check. GSL_EINVAL for a range outside n_params.
 * gp_oracle_check_given: gp_oracle_check's verdicts from those derivatives (num holds
 * all 2 n_params values, by parameter index): the same report, entry for entry (with
 * GP_NOISE_FAILING a failing entry is derived again by o, as gp_oracle_check does). */
int gp_oracle_numeric(gp_oracle *o, const gp_fcheck_opts *opts, size_t lo, size_t hi,
                      double *num, size_t *n_evals);
int gp_oracle_check_given(gp_oracle *o, const gp_gradient *candidate,
                          const gp_fcheck_opts *opts, const double *num,
                          gp_fcheck_report *r);

/* Convenience: allocate an oracle, check, free; gp_oracle_alloc's GSL_EBADLEN,
 * GSL_EDOM or GSL_ENOMEM when it cannot be allocated. */
int gp_oracle_check_network(const gp_network *net, const gsl_matrix *X,
                            const gsl_matrix *Y, const gp_regularization *reg,
                            const gp_gradient *candidate, const gp_fcheck_opts *opts,
                            gp_fcheck_report *r);

/* Default options of the oracle's full check: gp_fcheck_opts_default, with the initial
 * step for float64 lowered to 2e-6 (near the 3-point rule's optimum eps^(1/3)), where
 * GSL's rounding estimate already matches the truncation estimate so that
 * gsl_deriv_central takes 4 evaluations instead of 8. */
void gp_oracle_opts_default(gp_fcheck_opts *opts, gp_precision p);

/* ---- shrinking failing cases ---- */

/* A property of a case (network, inputs X n_0 x m, targets Y n_L x m): 1 if the case
 * fails (shows the bug), 0 if the property holds, negative on error. */
typedef int (*gp_case_property)(const gp_network *net, const gsl_matrix *X,
                                const gsl_matrix *Y, void *params);

/* Shrink a failing case to a minimal one that still fails, greedily, as QuickCheck and
 * theft do: repeatedly try fewer samples, fewer hidden layers (layer l dropped; W^{l+1}
 * cut or padded with zeros to n_{l+1} x n_{l-1}), narrower layers (one neuron of any
 * layer removed, with its rows and columns of W, b, X or Y; softmax keeps 2 outputs and
 * every one-hot target), then simpler values (each weight, bias and input tried at 0,
 * then rounded to an integer, then to one decimal), keeping every change after which
 * prop still returns 1, until a whole pass changes nothing or max_evals calls of prop
 * were made. *net, *X and *Y must fail on entry (else GSL_EINVAL; so is a NULL prop,
 * net, X, Y, *net, *X or *Y); they are replaced by the shrunk case (the old ones are
 * freed). *steps (if not NULL) receives the number of accepted changes. Returns a GSL
 * status (GSL_EFAILED if prop returned < 0, GSL_EBADLEN if X is not n_0 x m or Y not
 * n_L x m). */
int gp_shrink_case(gp_case_property prop, void *params, size_t max_evals,
                   gp_network **net, gsl_matrix **X, gsl_matrix **Y, size_t *steps);

#ifdef __cplusplus
}
#endif
#endif
