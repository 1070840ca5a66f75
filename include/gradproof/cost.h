/* gradproof/cost.h: the cost objects, one per row of SPEC's cost table.
 *
 * A cost object pairs C_x with the output activation it is meant for, the way
 * network2.py's cost classes do and the way gsl_rng_type describes a generator.
 * Targets y are vectors: reals for quadratic, [0,1] for cross-entropy, one-hot for
 * log-likelihood. All functions take one sample; batch forms loop over columns.
 * fn_a and fn_z return NaN (raising GSL_EBADLEN) when a or z and y differ in length. */
#ifndef GRADPROOF_COST_H
#define GRADPROOF_COST_H

#include <gradproof/activation.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char
        *name; /* "quadratic", "quadratic-linear", "cross-entropy", "log-likelihood" */
    gp_output output; /* activation taking z^L to a^L */
    /* C_x as a function of the output activations a (the book's form). May be +inf
     * where the cost is infinite (cross-entropy with a = 0, y = 1). */
    double (*fn_a)(const gsl_vector *a, const gsl_vector *y);
    /* C_x as a function of z^L, in a numerically stable form (softplus, log-sum-exp):
     * finite and accurate for |z| up to 700. */
    double (*fn_z)(const gsl_vector *z, const gsl_vector *y);
    /* g = dC_x/da. GSL_EBADLEN on mismatched lengths. */
    int (*dfda)(const gsl_vector *a, const gsl_vector *y, gsl_vector *g);
    /* delta^L = dC_x/dz^L given z^L and a^L = output(z^L) (BP1). */
    int (*delta)(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                 gsl_vector *delta);
} gp_cost_type;

extern const gp_cost_type gp_cost_quadratic;        /* sigmoid  [55,56,65] */
extern const gp_cost_type gp_cost_quadratic_linear; /* identity [68-70] */
extern const gp_cost_type gp_cost_cross_entropy;    /* sigmoid  [57,63,66] */
extern const gp_cost_type gp_cost_log_likelihood;   /* softmax  [80-84], y one-hot */

/* NULL-terminated table of the four cost objects, in the order above. */
extern const gp_cost_type *const gp_cost_types[];

/* Look a cost up by gradproof name or by class name ("QuadraticCost" and
 * "CrossEntropyCost" as network2.py writes them, "LogLikelihoodCost" for the softmax
 * output of network3.py's chapter). NULL if unknown. */
const gp_cost_type *gp_cost_lookup(const char *name);

/* 1 when a column of Y (targets, n_L x m) is not one cost is defined for, with *col
 * that column and *sum its targets' sum (col, sum may be NULL); else 0 (a question: no
 * gsl_error; 0 with GSL_EINVAL raised for a NULL cost or Y). Only
 * log-likelihood restricts its targets: delta^L = a - y (BP1) is dC_x/dz^L only when
 * they sum to 1 (one-hot, or a distribution; within n_L ulps of their magnitude). */
int gp_cost_target_misfit(const gp_cost_type *cost, const gsl_matrix *Y, size_t *col,
                          double *sum);

/* Every name gp_cost_lookup accepts, for error messages: "quadratic, quadratic-linear,
 * cross-entropy, log-likelihood (or QuadraticCost, CrossEntropyCost,
 * LogLikelihoodCost)". A static string: do not free. */
const char *gp_cost_names(void);

#ifdef __cplusplus
}
#endif
#endif
