/* gradproof/activation.h: sigmoid, softmax and friends (SPEC "Network").
 *
 * Vectors are GSL vectors; matrix forms act column by column (samples as columns).
 * Every function returns a GSL status (GSL_SUCCESS = 0) or raises GSL_EBADLEN when
 * lengths differ. In-place use (a == z) is allowed everywhere. */
#ifndef GRADPROOF_ACTIVATION_H
#define GRADPROOF_ACTIVATION_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The activation that takes z^L to a^L, fixed by the cost object. Hidden layers use a
 * gp_activation object (below), held by the network. */
typedef enum {
    GP_OUTPUT_SIGMOID, /* a = sigma(z) */
    GP_OUTPUT_SOFTMAX, /* a_j = e^{z_j} / sum_k e^{z_k}  [78] */
    GP_OUTPUT_LINEAR   /* a = z */
} gp_output;

/* sigma(z) = 1/(1+e^{-z}), evaluated without overflow for any z. */
double gp_sigmoid(double z);
/* sigma'(z) = sigma(z)(1 - sigma(z)); SPEC identity 1, proofs/Sigmoid.v. */
double gp_sigmoid_prime(double z);
/* softplus(z) = ln(1 + e^z), finite and accurate for all finite z. */
double gp_softplus(double z);

int gp_sigmoid_vector(const gsl_vector *z, gsl_vector *a);
/* Softmax [78] with the maximum subtracted, so no e^{z} overflows. */
int gp_softmax(const gsl_vector *z, gsl_vector *a);
/* ln softmax(z)_j = z_j - logsumexp(z), stable for any finite z. */
int gp_log_softmax(const gsl_vector *z, gsl_vector *out);
/* ln sum_k e^{z_k}, with the maximum subtracted. */
double gp_log_sum_exp(const gsl_vector *z);
/* Softmax with temperature c > 0: a_j = e^{c z_j} / sum_k e^{c z_k} (SPEC identity 10).
 * GSL_EDOM if c <= 0 or c is not finite. */
int gp_softmax_temp(const gsl_vector *z, double c, gsl_vector *a);

/* Output activation of kind `out` on one vector, or on every column of a matrix. */
int gp_activate(gp_output out, const gsl_vector *z, gsl_vector *a);
int gp_activate_matrix(gp_output out, const gsl_matrix *z, gsl_matrix *a);

/* Name of an output kind ("sigmoid", "softmax", "linear"). */
const char *gp_output_name(gp_output out);

/* A hidden-layer activation a = f(z), written the way gsl_rng_type is: a constant object
 * per kind, looked up by name. The network holds one per hidden layer, by value
 * (gp_network_activation), so a parameter like alpha can differ per network. */
typedef struct gp_activation {
    const char *name;                                        /* "sigmoid" */
    double (*f)(const struct gp_activation *act, double z);  /* a = f(z) */
    double (*df)(const struct gp_activation *act, double z); /* f'(z), used by BP2 */
    /* a_i = f(z_i) and, if fp != NULL, fp_i = f'(z_i) for n contiguous values: the
     * batch form that the forward pass and BP2 use (in-place a == z allowed). */
    void (*f_n)(const struct gp_activation *act, const double *z, double *a, double *fp,
                size_t n);
    double alpha; /* a parameter of the kind (a slope, ...); 0 if unused */
} gp_activation;

/* sigma(z) = 1/(1+e^{-z}), f' = sigma(1 - sigma): f and df are gp_sigmoid and
 * gp_sigmoid_prime exactly; f_n uses a vector exp on AVX-512 (within 8 ulp of f and 16
 * of df) and the scalar formulas elsewhere. */
extern const gp_activation gp_activation_sigmoid;
/* tanh, f' = 1 - tanh^2. */
extern const gp_activation gp_activation_tanh;
/* ReLU max(0, z), f' = 1 for z > 0 and 0 for z <= 0 (f'(0) = 0, PyTorch's convention). */
extern const gp_activation gp_activation_relu;
/* Leaky ReLU: z for z > 0, alpha z otherwise; f' = 1 or alpha, f'(0) = alpha (PyTorch's
 * convention). alpha = GP_LEAKY_RELU_ALPHA here; gp_activation_set_alpha on a copy
 * (the network holds it by value) gives any alpha in [0, 1). */
#define GP_LEAKY_RELU_ALPHA 0.01
extern const gp_activation gp_activation_leaky_relu;
/* softplus ln(1 + e^z) (gp_softplus), f' = sigma(z). */
extern const gp_activation gp_activation_softplus;
/* identity f = z, f' = 1. */
extern const gp_activation gp_activation_identity;
/* Every hidden activation, NULL-terminated (for --activation=NAME and tests). */
extern const gp_activation *const gp_activations[];
/* The activation called name, or NULL if there is none (no error raised). */
const gp_activation *gp_activation_lookup(const char *name);
/* Read s whole as a plain decimal number into *out (untouched on failure): the grammar
 * of every number gradproof reads as text (ALPHA below, the CLI's options). A digit,
 * sign or point first, all of s read by strtod, no space and no hexadecimal ("0.5",
 * ".5", "-5e-1"; not " 0.5", "0x1p-1", "inf", "nan", "1e999"). GSL_EINVAL if s is not
 * so written or not finite (or s or out is NULL); GSL_EUNDRFLW if a non-zero number
 * rounds to 0 ("1e-400"), which a range check would otherwise take for 0. */
int gp_decimal_parse(const char *s, double *out);
/* Parse "NAME" or "leaky-relu:ALPHA" (the form --activation and network files use) into
 * *out (untouched on failure). ALPHA is read by gp_decimal_parse. GSL_EINVAL for an
 * unknown name, a parameter on another kind or an ALPHA not so written, GSL_EDOM for an
 * alpha outside [0, 1) or one that underflows to 0 ("1e-400"); GSL_EINVAL for a NULL
 * spec or out. */
int gp_activation_parse(const char *spec, gp_activation *out);
/* Set leaky-relu's slope for z < 0: GSL_EINVAL on another kind, GSL_EDOM unless
 * 0 <= alpha < 1. */
int gp_activation_set_alpha(gp_activation *act, double alpha);
/* The spec that gp_activation_parse reads back to the same object: the name, or
 * "leaky-relu:ALPHA" (the fewest of 15-17 digits that read back exactly) when alpha is
 * not GP_LEAKY_RELU_ALPHA. GSL_ENOMEM if it does not fit in len bytes. */
int gp_activation_format(const gp_activation *act, char *buf, size_t len);
/* 1 if f has a kink (is not differentiable) at some z, stored in *at (may be NULL):
 * ReLU and leaky ReLU at 0. 0 for the smooth kinds. */
int gp_activation_kink(const gp_activation *act, double *at);

#ifdef __cplusplus
}
#endif
#endif
