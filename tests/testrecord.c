/* tests/testrecord.c: failure records from the Check suites. */
#include "testrecord.h"

#include <stdio.h>
#include <stdlib.h>

const char *tu_record(const char *prog, gp_formula f, const gp_regularization *reg,
                      const tu_case *c, unsigned long salt, size_t i) {
    static char note[1024];
    char path[512], msg[512];
    const char *dir = getenv("GP_RECORD_DIR");
    snprintf(path, sizeof path, "%s/%s-%lx-%zu.json", dir && *dir ? dir : ".", prog, salt,
             i);
    if (gp_record_check_failure(path, f, reg, c->net, c->X, c->Y, tu_case_seed(salt, i),
                                i, msg, sizeof msg))
        snprintf(note, sizeof note, "no record: %s", msg);
    else
        snprintf(note, sizeof note, "record: %s (gradproof replay reruns it)", msg);
    return note;
}
