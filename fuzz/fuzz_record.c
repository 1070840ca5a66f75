/* fuzz/fuzz_record.c: gp_record_read on any bytes. A record that reads owns a network
 * and inputs that fit it (X n_0 x m, Y n_L x m) and its failures. */
#include "fuzzutil.h"

#include <gradproof/record.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gp_record *rec = NULL;
    FUZZ_READ(gp_record_read, data, size, rec);
    if (rec == NULL)
        return 0;
    FUZZ_CHECK(rec->net != NULL && rec->X != NULL && rec->Y != NULL,
               "a record without its network or inputs");
    FUZZ_CHECK(rec->X->size1 == rec->net->p.sizes[0] &&
                   rec->Y->size1 == rec->net->p.sizes[rec->net->p.L] &&
                   rec->X->size2 == rec->Y->size2,
               "a record's inputs do not fit its network");
    FUZZ_CHECK(rec->n_failures == 0 || rec->failures != NULL, "failures missing");
    gp_record_free(rec);
    return 0;
}
