/* gradproof/network.h: fully connected networks (SPEC "Network"): a hidden activation
 * per hidden layer (sigmoid unless set), the output activation fixed by the cost.
 *
 * Layer sizes n_0 .. n_L. The C arrays are 0-based: w[l-1] is the book's W^l
 * (n_l x n_{l-1}) and b[l-1] is b^l, for l = 1..L. All weights and biases live in one
 * contiguous block, W^1, b^1, W^2, b^2, ..., so that an optimiser or a gradient checker
 * can treat them as one parameter vector `params` of length n_params. */
#ifndef GRADPROOF_NETWORK_H
#define GRADPROOF_NETWORK_H

#include <gradproof/cost.h>
#include <gsl/gsl_rng.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most layers and the widest layer gp_network_alloc accepts. */
#define GP_MAX_LAYERS 64
#define GP_MAX_WIDTH 1000000

/* Parameters of a network, or a gradient with the same layout. */
typedef struct {
    size_t L;           /* number of weight layers (the book's num_layers - 1) */
    size_t *sizes;      /* L + 1 entries, n_0 .. n_L */
    size_t n_params;    /* total number of weights and biases */
    gsl_vector *params; /* all parameters, contiguous: W^1, b^1, W^2, b^2, ... */
    gsl_matrix **w;     /* w[l-1] = W^l, a view into params */
    gsl_vector **b;     /* b[l-1] = b^l, a view into params */
} gp_params;

typedef struct {
    gp_params p;              /* weights and biases */
    const gp_cost_type *cost; /* cost, which also fixes the output activation */
    gp_activation *act;       /* act[l-1]: hidden layer l's activation, l = 1..L-1, held
                                 by value; read it with gp_network_activation */
} gp_network;

/* A gradient has the layout of the network's parameters: nabla_w, nabla_b. */
typedef gp_params gp_gradient;

typedef enum {
    GP_INIT_LARGE,  /* weights and biases N(0,1) (network2.py large_weight_initializer) */
    GP_INIT_DEFAULT /* weights N(0,1/n_in), biases N(0,1) (network2.py default) */
} gp_init;

/* Allocate a network with L+1 layer sizes (n_layers = L + 1 >= 2), parameters zero,
 * every hidden layer sigmoid (gp_activation_sigmoid).
 * NULL (GSL_EINVAL) for zero or absurd sizes, a NULL cost, or when the
 * parameter count would overflow; GSL_ENOMEM when memory runs out. */
gp_network *gp_network_alloc(size_t n_layers, const size_t *sizes,
                             const gp_cost_type *cost);
void gp_network_free(gp_network *net);
/* A deep copy (parameters, cost and activations). This, gp_gradient_alloc,
 * gp_backprop_workspace_alloc and gp_network_init refuse a NULL network (GSL_EINVAL;
 * NULL from the allocators), as gp_network_alloc refuses a NULL cost. */
gp_network *gp_network_clone(const gp_network *net);

/* The activation of hidden layer l, 1 <= l <= L-1 (borrowed: do not free; valid while
 * net lives). NULL with GSL_EINVAL for any other l or a NULL net. */
const gp_activation *gp_network_activation(const gp_network *net, size_t l);
/* Hidden layer l (1 <= l <= L-1) uses a copy of *act from now on. GSL_EINVAL for any
 * other l, a NULL net, or an act without f, df or f_n. */
int gp_network_set_activation(gp_network *net, size_t l, const gp_activation *act);

/* Gradient with the network's layout, zeroed. */
gp_gradient *gp_gradient_alloc(const gp_network *net);
void gp_gradient_free(gp_gradient *g);

/* Parameter sets in general (used by both of the above). GSL_EINVAL for a NULL p or
 * sizes (p untouched), or sizes gp_network_alloc refuses. */
int gp_params_init(gp_params *p, size_t n_layers, const size_t *sizes);
void gp_params_clear(gp_params *p);
/* Which tensor and index parameter i is: layer l (1-based), is_weight, row j, column k
 * (k = 0 for biases). GSL_EINVAL if i >= n_params. */
int gp_params_locate(const gp_params *p, size_t i, size_t *l, int *is_weight, size_t *j,
                     size_t *k);
/* Offset in params of W^l (is_weight) or b^l, 1 <= l <= L; SIZE_MAX with GSL_EINVAL
 * raised for any other l or a NULL p. */
size_t gp_params_offset(const gp_params *p, size_t l, int is_weight);

/* Initialise from a seeded generator, as network2.py does. GSL_EINVAL for an unknown
 * kind or a NULL net or r. */
int gp_network_init(gp_network *net, gp_init kind, gsl_rng *r);

#ifdef __cplusplus
}
#endif
#endif
