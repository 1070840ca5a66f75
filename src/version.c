/* version.c */
#include <config.h>

#include <gradproof/gradproof.h>

const char *gp_version(void) {
    return PACKAGE_VERSION;
}
