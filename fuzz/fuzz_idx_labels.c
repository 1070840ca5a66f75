/* fuzz/fuzz_idx_labels.c: gp_idx_read_labels on any bytes; the first byte is max_label.
 */
#include "fuzzutil.h"

#include <gradproof/idx.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char eb[GP_IDX_ERRLEN];
    gp_idx_labels *lb = NULL;
    size_t max_label, i;
    int status;
    if (size < 1)
        return 0;
    max_label = data[0];
    status = gp_idx_read_labels(fuzz_file(0, data + 1, size - 1), max_label, &lb, eb,
                                sizeof eb);
    FUZZ_CHECK_RESULT(status, lb);
    for (i = 0; lb != NULL && i < lb->n; i++)
        FUZZ_CHECK(lb->labels[i] <= max_label, "label above max_label accepted");
    gp_idx_labels_free(lb);
    return 0;
}
