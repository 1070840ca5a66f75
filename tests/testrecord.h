/* tests/testrecord.h: failure records from the Check suites (not installed).
 * When a derivation property fails, the case is shrunk and written as the same versioned
 * JSON record `gradproof check --record` writes, so `gradproof replay FILE` reruns it. */
#ifndef GRADPROOF_TESTRECORD_H
#define GRADPROOF_TESTRECORD_H

#include <gradproof/record.h>

#include "testutil.h"

/* Shrink the failing case c (formula f, regularisation reg or NULL) and write it to
 * $GP_RECORD_DIR (default: the current directory, the build's tests run there) as
 * <prog>-<salt>-<case>.json. Returns a one-line note for the failure message, in a
 * static buffer: "record: PATH (shrunk ...)" or why no record was written. */
const char *tu_record(const char *prog, gp_formula f, const gp_regularization *reg,
                      const tu_case *c, unsigned long salt, size_t i);

#endif
