/* fuzz/fuzz_netio.c: gp_netio_load on any bytes, and the identity netio.h promises: a
 * network that loads saves, and the saved file loads back to the same bits (17
 * significant digits) and the same cost. */
#define FUZZ_SETUP setup /* run once by fuzzutil.h's LLVMFuzzerInitialize */
#include "fuzzutil.h"

#include <gradproof/netio.h>

static const char *saved;

static void setup(void) {
    saved = fuzz_saved("net.json");
}

static int same_bits(const gp_network *a, const gp_network *b) {
    if (a->cost != b->cost || a->p.L != b->p.L || a->p.n_params != b->p.n_params)
        return 0;
    for (size_t l = 0; l <= a->p.L; l++)
        if (a->p.sizes[l] != b->p.sizes[l])
            return 0;
    for (size_t i = 0; i < a->p.n_params; i++) {
        double x = gsl_vector_get(a->p.params, i), y = gsl_vector_get(b->p.params, i);
        if (memcmp(&x, &y, sizeof x) != 0)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char eb[512];
    gp_network *net = NULL, *back = NULL;
    FUZZ_READ(gp_netio_load, data, size, net);
    if (net == NULL)
        return 0;
    FUZZ_CHECK(gp_netio_save(net, saved, eb, sizeof eb) == GSL_SUCCESS,
               "a network that loaded does not save");
    FUZZ_CHECK(gp_netio_load(saved, &back, eb, sizeof eb) == GSL_SUCCESS,
               "a saved network does not load");
    FUZZ_CHECK(same_bits(net, back), "save and reload changed the network");
    gp_network_free(net);
    gp_network_free(back);
    return 0;
}
