/* tests/check_netio.c: network2.py-format JSON load/save. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>

#include <gradproof/netio.h>

#include "testutil.h"

static char eb[512];

static void setup(void) {
    gsl_set_error_handler_off();
    tu_tmpdir_make("check_netio");
    eb[0] = '\0';
}

static void teardown(void) {
    tu_tmpdir_remove();
}

static void write_text(const char *name, const char *text) {
    FILE *f = fopen(tu_tmpdir_path(name), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A [5,4,3,2] network whose parameters are awkward doubles: random values spanning
 * many binades, a subnormal, -0.0, 1/3 and 0.1. */
static gp_network *awkward_network(const gp_cost_type *cost, unsigned long seed) {
    static const size_t sizes[] = {5, 4, 3, 2};
    gp_network *net = gp_network_alloc(4, sizes, cost);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t i;
    ck_assert_ptr_nonnull(net);
    gsl_rng_set(r, seed);
    for (i = 0; i < net->p.n_params; i++) {
        double u = gsl_rng_uniform_pos(r) - 0.5;
        gsl_vector_set(net->p.params, i, u * pow(10.0, (double)(i % 41) - 20.0));
    }
    gsl_vector_set(net->p.params, 0, 4.9406564584124654e-324);
    gsl_vector_set(net->p.params, 1, -0.0);
    gsl_vector_set(net->p.params, 2, 1.0 / 3.0);
    gsl_vector_set(net->p.params, 3, 0.1);
    gsl_vector_set(net->p.params, 4, -1.7976931348623157e308);
    gsl_rng_free(r);
    return net;
}

/* ---- Core ---- */

START_TEST(test_netio_round_trip_is_bit_exact) {
    const gp_cost_type *cost = gp_cost_types[_i];
    gp_network *net = awkward_network(cost, 1000 + (unsigned long)_i), *back = NULL;
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("net.json"), eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_msg(gp_netio_load(tu_tmpdir_path("net.json"), &back, eb, sizeof eb) ==
                      GSL_SUCCESS,
                  "%s", eb);
    ck_assert_ptr_eq(back->cost, cost);
    ck_assert_uint_eq(back->p.L, 3);
    ck_assert_mem_eq(back->p.sizes, net->p.sizes, 4 * sizeof(size_t));
    ck_assert_uint_eq(back->p.n_params, net->p.n_params);
    /* Bit for bit, including the sign of -0.0. */
    ck_assert_mem_eq(back->p.params->data, net->p.params->data,
                     net->p.n_params * sizeof(double));
    gp_network_free(back);
    gp_network_free(net);
}
END_TEST

START_TEST(test_netio_saves_network2_layout) {
    static const size_t sizes[] = {2, 3, 1};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    json_error_t jerr;
    json_t *root, *b;
    char names[256];
    gsl_vector_set(net->p.b[0], 2, 0.25);
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("n.json"), eb, sizeof eb),
                     GSL_SUCCESS);
    root = json_load_file(tu_tmpdir_path("n.json"), 0, &jerr);
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(json_string_value(json_object_get(root, "cost")),
                     "CrossEntropyCost");
    ck_assert_int_eq(
        json_integer_value(json_array_get(json_object_get(root, "sizes"), 2)), 1);
    /* Biases as n x 1 columns: biases[0][2] == [0.25]. */
    b = json_array_get(json_array_get(json_object_get(root, "biases"), 0), 2);
    ck_assert(json_is_array(b) && json_array_size(b) == 1);
    ck_assert_double_eq(json_real_value(json_array_get(b, 0)), 0.25);
    /* W^1 is 3 rows of 2. */
    ck_assert_uint_eq(
        json_array_size(json_array_get(json_object_get(root, "weights"), 0)), 3);
    json_decref(root);
    /* The file is ordinary data (0644), and no temporary file is left. */
    {
        struct stat st;
        ck_assert_int_eq(stat(tu_tmpdir_path("n.json"), &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0644);
    }
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 1);
    gp_network_free(net);
}
END_TEST

/* The in-memory form is the file's text: a string round trip is bit exact and the
 * string loads as the saved file does. */
START_TEST(test_netio_string_round_trip_matches_file) {
    const gp_cost_type *cost = gp_cost_types[_i];
    gp_network *net = awkward_network(cost, 2000 + (unsigned long)_i), *back = NULL,
               *from_file = NULL;
    char *text = NULL;
    ck_assert_int_eq(gp_netio_save_string(net, &text, eb, sizeof eb), GSL_SUCCESS);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(gp_netio_load_string(text, strlen(text), &back, eb, sizeof eb) ==
                      GSL_SUCCESS,
                  "%s", eb);
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("n.json"), eb, sizeof eb), 0);
    ck_assert_int_eq(gp_netio_load(tu_tmpdir_path("n.json"), &from_file, eb, sizeof eb),
                     0);
    ck_assert_ptr_eq(back->cost, cost);
    ck_assert_uint_eq(back->p.n_params, net->p.n_params);
    ck_assert_mem_eq(back->p.params->data, net->p.params->data,
                     net->p.n_params * sizeof(double));
    ck_assert_mem_eq(from_file->p.params->data, back->p.params->data,
                     net->p.n_params * sizeof(double));
    gp_netio_string_free(text);
    gp_network_free(net);
    gp_network_free(back);
    gp_network_free(from_file);
}
END_TEST

/* A string is checked as a file is, and the message names "network", one line. */
START_TEST(test_netio_load_string_rejects_bad_networks) {
    static const char *const bad[] = {
        "{\"sizes\": [2, 1], \"weights\": [[[1, 2]]], \"biases\": [[[0]]]}",
        "{\"sizes\": [2, 1], \"weights\": [[[1]]], \"biases\": [[[0]]], "
        "\"cost\": \"QuadraticCost\"}",
        "{\"sizes\": [2, 1], \"weights\": [[[1, 2]]]",
        "{\"sizes\": [2, 1000000000], \"weights\": [], \"biases\": [], "
        "\"cost\": \"QuadraticCost\"}"};
    gp_network *net = (gp_network *)&net;
    const char *t = bad[_i];
    ck_assert_int_ne(gp_netio_load_string(t, strlen(t), &net, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_ptr_null(net);
    ck_assert_msg(strncmp(eb, "network", 7) == 0 && strchr(eb, '\n') == NULL, "%s", eb);
    /* Not NUL-terminated input: only len bytes are read. */
    ck_assert_int_ne(gp_netio_load_string("{}xx", 2, &net, eb, sizeof eb), GSL_SUCCESS);
}
END_TEST

START_TEST(test_netio_save_string_rejects_nonfinite) {
    gp_network *net = awkward_network(&gp_cost_quadratic, 7);
    char *text = (char *)&net;
    gsl_vector_set(net->p.params, 6, NAN);
    ck_assert_int_eq(gp_netio_save_string(net, &text, eb, sizeof eb), GSL_EINVAL);
    ck_assert_ptr_null(text);
    ck_assert_msg(strstr(eb, "is not finite") != NULL, "%s", eb);
    gp_network_free(net);
}
END_TEST

START_TEST(test_netio_cost_names) {
    ck_assert_str_eq(gp_netio_cost_name(&gp_cost_quadratic), "QuadraticCost");
    ck_assert_str_eq(gp_netio_cost_name(&gp_cost_cross_entropy), "CrossEntropyCost");
    ck_assert_str_eq(gp_netio_cost_name(&gp_cost_log_likelihood), "log-likelihood");
    ck_assert_str_eq(gp_netio_cost_name(&gp_cost_quadratic_linear), "quadratic-linear");
}
END_TEST

/* What network2.py's save() writes (json.dump of a dict: ", " and ": " separators). */
static const char network2_file[] =
    "{\"sizes\": [2, 3, 1], \"weights\": [[[0.1, -0.2], [0.3, 0.4], [0.5, "
    "0.6000000000000001]], [[0.7, 0.8, -0.9]]], \"biases\": [[[0.01], [0.02], [-0.03]], "
    "[[-1.5]]], \"cost\": \"CrossEntropyCost\"}";

START_TEST(test_netio_loads_network2_file) {
    gp_network *net = NULL;
    write_text("network2.json", network2_file);
    ck_assert_msg(gp_netio_load(tu_tmpdir_path("network2.json"), &net, eb, sizeof eb) ==
                      GSL_SUCCESS,
                  "%s", eb);
    ck_assert_ptr_eq(net->cost, &gp_cost_cross_entropy);
    ck_assert_uint_eq(net->p.L, 2);
    ck_assert_uint_eq(net->p.sizes[0], 2);
    ck_assert_uint_eq(net->p.sizes[1], 3);
    ck_assert_uint_eq(net->p.sizes[2], 1);
    ck_assert_double_eq(gsl_matrix_get(net->p.w[0], 0, 1), -0.2);
    ck_assert_double_eq(gsl_matrix_get(net->p.w[0], 2, 1), 0.6000000000000001);
    ck_assert_double_eq(gsl_matrix_get(net->p.w[1], 0, 2), -0.9);
    ck_assert_double_eq(gsl_vector_get(net->p.b[0], 2), -0.03);
    ck_assert_double_eq(gsl_vector_get(net->p.b[1], 0), -1.5);
    gp_network_free(net);
}
END_TEST

START_TEST(test_netio_accepts_gradproof_cost_names_and_flat_biases) {
    static const struct {
        const char *name;
        const gp_cost_type *cost;
    } cases[] = {{"QuadraticCost", &gp_cost_quadratic},
                 {"quadratic", &gp_cost_quadratic},
                 {"cross-entropy", &gp_cost_cross_entropy},
                 {"log-likelihood", &gp_cost_log_likelihood},
                 {"quadratic-linear", &gp_cost_quadratic_linear}};
    char text[256];
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gp_network *net = NULL;
        snprintf(text, sizeof text,
                 "{\"cost\": \"%s\", \"sizes\": [1, 2], \"weights\": [[[1], [2]]], "
                 "\"biases\": [[3, [4]]], \"note\": \"extra keys are ignored\"}",
                 cases[i].name);
        write_text("c.json", text);
        ck_assert_msg(gp_netio_load(tu_tmpdir_path("c.json"), &net, eb, sizeof eb) ==
                          GSL_SUCCESS,
                      "%s: %s", cases[i].name, eb);
        ck_assert_ptr_eq(net->cost, cases[i].cost);
        ck_assert_double_eq(gsl_vector_get(net->p.b[0], 0), 3.0);
        ck_assert_double_eq(gsl_vector_get(net->p.b[0], 1), 4.0);
        ck_assert_double_eq(gsl_matrix_get(net->p.w[0], 1, 0), 2.0);
        gp_network_free(net);
    }
}
END_TEST

START_TEST(test_netio_save_replaces_existing_file) {
    gp_network *net = awkward_network(&gp_cost_quadratic, 7), *back = NULL;
    char names[256];
    write_text("net.json", "old contents");
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("net.json"), eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_int_eq(gp_netio_load(tu_tmpdir_path("net.json"), &back, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_mem_eq(back->p.params->data, net->p.params->data,
                     net->p.n_params * sizeof(double));
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 1);
    gp_network_free(back);
    gp_network_free(net);
}
END_TEST

/* ---- Errors ---- */

static const struct {
    const char *text;
    const char *needle;
} malformed[] = {
    {"{\"sizes\": [2, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]]], \"biases\": [[[0]], "
     "[[0]]], \"cost\": \"QuadraticCost\", \"activations\": [\"swish\"]}",
     "activations[0] is not one of sigmoid"},
    {"{\"sizes\": [2, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]]], \"biases\": [[[0]], "
     "[[0]]], \"cost\": \"QuadraticCost\", \"activations\": [\"relu\", \"tanh\"]}",
     "\"activations\" must list 1 name (one per hidden layer)"},
    {"{\"sizes\": [2, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]]], \"biases\": [[[0]], "
     "[[0]]], \"cost\": \"QuadraticCost\", \"activations\": \"relu\"}",
     "\"activations\" must list 1 name (one per hidden layer)"},
    {"{\"sizes\": [2, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]]], \"biases\": [[[0]], "
     "[[0]]], \"cost\": \"QuadraticCost\", \"activations\": [\"leaky-relu:1.5\"]}",
     "activations[0] is not one of"},
    {"{\"sizes\": [2, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]]], \"biases\": [[[0]], "
     "[[0]]], \"cost\": \"QuadraticCost\", \"activations\": [\"relu:0.5\"]}",
     "activations[0] is not one of"},
    {"{\"sizes\": [2, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]]], \"biases\": [[[0]], "
     "[[0]]], \"cost\": \"QuadraticCost\", \"activations\": [{\"name\": \"leaky-relu\", "
     "\"alpha\": -1}]}",
     "activations[0] is not one of"},
    {"{\"sizes\": [2, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]]], \"biases\": [[[0]], "
     "[[0]]], \"cost\": \"QuadraticCost\", \"activations\": [3]}",
     "activations[0] is not one of"},
    {"{\"sizes\": [2, 1, 1, 1], \"weights\": [[[0.1, 0.2]], [[0.3]], [[0.5]]], "
     "\"biases\": [[[0]], [[0]], [[0]]], \"cost\": \"QuadraticCost\", \"activations\": "
     "[\"relu\"]}",
     "\"activations\" must list 2 names (one per hidden layer)"},
    {"{\"sizes\": [2, 1], \"weights\": [[[0.1, 0.2]]], \"biases\": [[[0]]], \"cost\": "
     "\"QuadraticCost\", \"activations\": [\"relu\"]}",
     "\"activations\" given, but the network has no hidden layer"},
    {"{\"sizes\": [2, 1], ", "invalid JSON"},
    {"", "empty: no data"},
    /* Bytes, but no JSON: a UTF-16 file (BOM ff fe) is not called empty. */
    {"\xff\xfe{", "invalid JSON: unable to decode byte 0xff"},
    {"[1, 2]", "not a JSON object"},
    {"{\"sizes\": [2, 1], \"sizes\": [2, 1]}", "duplicate object key"},
    {"{\"weights\": [], \"biases\": [], \"cost\": \"QuadraticCost\"}",
     "\"sizes\" is missing or not a list"},
    {"{\"sizes\": [784], \"cost\": \"QuadraticCost\"}",
     "\"sizes\" has 1 layers, expected 2.."},
    {"{\"sizes\": [2, 0], \"cost\": \"QuadraticCost\"}",
     "sizes[1] is not an integer in 1.."},
    {"{\"sizes\": [2, -3], \"cost\": \"QuadraticCost\"}", "sizes[1] is not an integer"},
    {"{\"sizes\": [2, 1.5], \"cost\": \"QuadraticCost\"}", "sizes[1] is not an integer"},
    {"{\"sizes\": [\"2\", 1], \"cost\": \"QuadraticCost\"}",
     "sizes[0] is not an integer"},
    {"{\"sizes\": [2, 99999999999], \"cost\": \"QuadraticCost\"}",
     "sizes[1] is not an integer"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, 2]]], \"biases\": [[[0]]]}",
     "\"cost\" is missing or not a string"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, 2]]], \"biases\": [[[0]]], \"cost\": "
     "\"HingeCost\"}",
     "unknown cost \"HingeCost\""},
    {"{\"sizes\": [2, 1], \"biases\": [[[0]]], \"cost\": \"QuadraticCost\"}",
     "\"weights\" is missing or not a list"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, 2]]], \"cost\": \"QuadraticCost\"}",
     "\"biases\" is missing or not a list"},
    /* Sizes that would need 8 TB of parameters, with no data behind them. */
    {"{\"sizes\": [1000000, 1000000], \"weights\": [], \"biases\": [], \"cost\": "
     "\"QuadraticCost\"}",
     "\"weights\" has 0 matrices, expected 1"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, 2]]], \"biases\": [], \"cost\": "
     "\"QuadraticCost\"}",
     "\"biases\" has 0 vectors, expected 1"},
    {"{\"sizes\": [2, 3], \"weights\": [[[1, 2], [3, 4]]], \"biases\": [[[0], [0], "
     "[0]]], "
     "\"cost\": \"QuadraticCost\"}",
     "weights[0] has 2 rows, expected 3 (sizes[1])"},
    {"{\"sizes\": [2, 2], \"weights\": [[[1, 2], [3]]], \"biases\": [[[0], [0]]], "
     "\"cost\": \"QuadraticCost\"}",
     "weights[0][1] has 1 entry, expected 2 (sizes[0])"},
    {"{\"sizes\": [2, 2], \"weights\": [[[1, 2], 3]], \"biases\": [[[0], [0]]], "
     "\"cost\": \"QuadraticCost\"}",
     "weights[0][1] has 0 entries, expected 2"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, \"x\"]]], \"biases\": [[[0]]], \"cost\": "
     "\"QuadraticCost\"}",
     "weights[0][0][1] is not a finite number"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, null]]], \"biases\": [[[0]]], \"cost\": "
     "\"QuadraticCost\"}",
     "weights[0][0][1] is not a finite number"},
    {"{\"sizes\": [2, 2], \"weights\": [[[1, 2], [3, 4]]], \"biases\": [[[0]]], "
     "\"cost\": "
     "\"QuadraticCost\"}",
     "biases[0] has 1 row, expected 2 (sizes[1])"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, 2]]], \"biases\": [[[0, 1]]], \"cost\": "
     "\"QuadraticCost\"}",
     "biases[0][0] has 2 entries, expected 1"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, 2]]], \"biases\": [[[true]]], \"cost\": "
     "\"QuadraticCost\"}",
     "biases[0][0] is not a finite number"},
    /* Python's json writes NaN and Infinity, which are not JSON; 1e999 overflows. */
    {"{\"sizes\": [2, 1], \"weights\": [[[1, NaN]]], \"biases\": [[[0]]], \"cost\": "
     "\"QuadraticCost\"}",
     "invalid JSON"},
    {"{\"sizes\": [2, 1], \"weights\": [[[1, 1e999]]], \"biases\": [[[0]]], \"cost\": "
     "\"QuadraticCost\"}",
     "invalid JSON"},
};

START_TEST(test_netio_rejects_malformed) {
    gp_network *net = (gp_network *)1;
    write_text("bad.json", malformed[_i].text);
    ck_assert_int_eq(gp_netio_load(tu_tmpdir_path("bad.json"), &net, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_null(net);
    ck_assert_msg(strstr(eb, malformed[_i].needle) != NULL, "case %d: '%s' lacks '%s'",
                  _i, eb, malformed[_i].needle);
    ck_assert_msg(strstr(eb, "bad.json") != NULL, "message '%s' lacks the file name", eb);
}
END_TEST

START_TEST(test_netio_rejects_missing_file) {
    gp_network *net = (gp_network *)1;
    ck_assert_int_eq(gp_netio_load(tu_tmpdir_path("nope.json"), &net, eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_null(net);
    ck_assert_ptr_nonnull(strstr(eb, "nope.json: cannot open"));
    ck_assert_int_eq(gp_netio_load(tu_tmpdir_path("nope.json"), NULL, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_netio_load(NULL, &net, eb, sizeof eb), GSL_EINVAL);
    ck_assert_ptr_null(gp_netio_cost_name(NULL));
}
END_TEST

START_TEST(test_netio_save_into_missing_dir_leaves_nothing) {
    gp_network *net = awkward_network(&gp_cost_quadratic, 3);
    char path[512], names[256];
    snprintf(path, sizeof path, "%s/no/such/dir/net.json", tu_tmpdir());
    ck_assert_int_eq(gp_netio_save(net, path, eb, sizeof eb), GSL_EFAILED);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_nonnull(strstr(eb, "net.json: cannot create temporary file"));
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 0);
    gp_network_free(net);
}
END_TEST

START_TEST(test_netio_failed_rename_removes_temp_file) {
    gp_network *net = awkward_network(&gp_cost_quadratic, 4);
    char names[256];
    /* The target is a non-empty directory: refused before anything is written (a rename
     * failing after the data is written is check_dump's
     * test_atomic_failed_commit_leaves_nothing). */
    ck_assert_int_eq(mkdir(tu_tmpdir_path("net.json"), 0755), 0);
    ck_assert_int_eq(mkdir(tu_tmpdir_path("net.json/keep"), 0755), 0);
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("net.json"), eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_ptr_nonnull(strstr(eb, "is a directory"));
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 1);
    ck_assert_str_eq(names, "net.json ");
    rmdir(tu_tmpdir_path("net.json/keep"));
    gp_network_free(net);
}
END_TEST

START_TEST(test_netio_save_rejects_nonfinite) {
    gp_network *net = awkward_network(&gp_cost_cross_entropy, 5);
    char names[256];
    gsl_matrix_set(net->p.w[1], 2, 1, NAN);
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("net.json"), eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(eb, "weights[1][2][1] is not finite"));
    gsl_matrix_set(net->p.w[1], 2, 1, 0.5);
    gsl_vector_set(net->p.b[2], 1, -INFINITY);
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("net.json"), eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(eb, "biases[2][1] is not finite"));
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 0);
    ck_assert_int_eq(gp_netio_save(NULL, tu_tmpdir_path("net.json"), eb, sizeof eb),
                     GSL_EINVAL);
    gp_network_free(net);
}
END_TEST

/* Hidden activations round-trip (names and leaky ReLU's alpha, in both spellings); an
 * all-sigmoid network's file has no "activations" key, and a network with other
 * activations is that same file byte for byte with the key added before the last '}'. */
START_TEST(test_netio_activations) {
    static const size_t sizes[] = {3, 4, 4, 2};
    gp_network *net = gp_network_alloc(4, sizes, &gp_cost_log_likelihood), *back = NULL;
    gp_activation leaky = gp_activation_leaky_relu;
    char plain[4096], with[4096];
    for (size_t i = 0; i < net->p.n_params; i++)
        gsl_vector_set(net->p.params, i, 0.1 * (double)i - 1);
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("s.json"), eb, sizeof eb), 0);
    ck_assert_int_eq(gp_activation_set_alpha(&leaky, 0.02), GSL_SUCCESS);
    ck_assert_int_eq(gp_network_set_activation(net, 1, &gp_activation_tanh), 0);
    ck_assert_int_eq(gp_network_set_activation(net, 2, &leaky), 0);
    ck_assert_int_eq(gp_netio_save(net, tu_tmpdir_path("a.json"), eb, sizeof eb), 0);
    FILE *f = fopen(tu_tmpdir_path("s.json"), "r");
    size_t np = fread(plain, 1, sizeof plain - 1, f);
    fclose(f);
    f = fopen(tu_tmpdir_path("a.json"), "r");
    size_t nw = fread(with, 1, sizeof with - 1, f);
    fclose(f);
    plain[np] = with[nw] = '\0';
    ck_assert_ptr_null(strstr(plain, "activations"));
    const char *key = strstr(plain, "\"cost\": ") /* the writer's separators */
                          ? ", \"activations\": [\"tanh\", \"leaky-relu:0.02\"]"
                          : ",\"activations\":[\"tanh\",\"leaky-relu:0.02\"]";
    size_t cut = (size_t)(strrchr(plain, '}') - plain); /* the last '}' */
    ck_assert_uint_eq(nw, np + strlen(key));
    ck_assert_mem_eq(with, plain, cut);
    ck_assert_mem_eq(with + cut, key, strlen(key));
    ck_assert_str_eq(with + cut + strlen(key), plain + cut);
    ck_assert_msg(gp_netio_load(tu_tmpdir_path("a.json"), &back, eb, sizeof eb) == 0,
                  "%s", eb);
    ck_assert_str_eq(gp_network_activation(back, 1)->name, "tanh");
    ck_assert_str_eq(gp_network_activation(back, 2)->name, "leaky-relu");
    ck_assert_double_eq(gp_network_activation(back, 2)->alpha, 0.02);
    gp_network_free(back);
    write_text("o.json",
               "{\"sizes\": [1, 1, 1], \"weights\": [[[1]], [[1]]], \"biases\": "
               "[[[0]], [[0]]], \"cost\": \"QuadraticCost\", \"activations\": "
               "[{\"name\": \"leaky-relu\", \"alpha\": 0.3}]}");
    ck_assert_msg(gp_netio_load(tu_tmpdir_path("o.json"), &back, eb, sizeof eb) == 0,
                  "%s", eb);
    ck_assert_double_eq(gp_network_activation(back, 1)->alpha, 0.3);
    ck_assert_double_eq(
        gp_network_activation(back, 1)->f(gp_network_activation(back, 1), -2.0), -0.6);
    gp_network_free(back);
    gp_network_free(net);
}
END_TEST

/* The size of the file at path, in bytes. */
static size_t file_size(const char *path) {
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (size_t)st.st_size;
}

/* gp_netio_size_bound covers the longest file a network of given sizes can have:
 * every parameter 24 characters at 17 digits, the longest cost name and activation
 * names; and it stays within 25 % of that file once the parameters dominate (a bound
 * far too large would refuse runs that fit the disk). */
START_TEST(test_netio_size_bound_covers_the_longest_file) {
    static const size_t shapes[][4] = {{1, 1}, {5, 4, 3, 2}, {30, 20, 30}, {64, 40, 3}};
    static const size_t n_layers[] = {2, 4, 3, 3};
    gp_network *net =
        gp_network_alloc(n_layers[_i], shapes[_i], &gp_cost_quadratic_linear);
    gp_activation leaky = gp_activation_leaky_relu;
    ck_assert_int_eq(gp_activation_set_alpha(&leaky, 0.012345678901234567), GSL_SUCCESS);
    for (size_t l = 1; l < net->p.L; l++)
        ck_assert_int_eq(gp_network_set_activation(net, l, &leaky), 0);
    for (size_t i = 0; i < net->p.n_params; i++)
        gsl_vector_set(net->p.params, i,
                       i % 2 ? -1.2345678901234567e-300 : -9.8765432109876543e+300);
    const char *path = tu_tmpdir_path("longest.json");
    ck_assert_msg(gp_netio_save(net, path, eb, sizeof eb) == 0, "%s", eb);
    size_t bytes = file_size(path), bound = gp_netio_size_bound(n_layers[_i], shapes[_i]);
    ck_assert_msg(bytes <= bound, "%zu bytes written, bound %zu", bytes, bound);
    if (net->p.n_params >= 1000)
        ck_assert_msg(bound <= bytes + bytes / 4, "bound %zu for %zu bytes", bound,
                      bytes);
    gp_network_free(net);
}
END_TEST

/* Sizes gp_network_alloc refuses have no bound: SIZE_MAX with GSL_EINVAL raised. A
 * network of 0 layers got 512, and NULL sizes with n_layers > 0 crashed. */
START_TEST(test_size_bound_zero_layers) {
    const size_t sizes[] = {3, 0, 2}, ok[] = {3, 2};
    tu_errors_record();
    ck_assert_uint_eq(gp_netio_size_bound(0, ok), SIZE_MAX);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_uint_eq(gp_netio_size_bound(1, ok), SIZE_MAX);
    ck_assert_uint_eq(gp_netio_size_bound(GP_MAX_LAYERS + 1, ok), SIZE_MAX);
    tu_errors_record();
    ck_assert_uint_eq(gp_netio_size_bound(3, NULL), SIZE_MAX);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    tu_errors_record();
    ck_assert_uint_eq(gp_netio_size_bound(3, sizes), SIZE_MAX);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_uint_eq(gp_checkpoint_size_bound(0, ok, 10, 0), SIZE_MAX);
    tu_errors_record();
    ck_assert_uint_lt(gp_netio_size_bound(2, ok), 2048);
    ck_assert_int_eq(tu_last_error(), 0);
}
END_TEST

static Suite *make_netio_suite(void) {
    Suite *s = suite_create("netio");
    TCase *core = tcase_create("Core");
    TCase *errs = tcase_create("Errors");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_loop_test(core, test_netio_round_trip_is_bit_exact, 0, 4);
    tcase_add_test(core, test_netio_saves_network2_layout);
    tcase_add_test(core, test_netio_cost_names);
    tcase_add_loop_test(core, test_netio_string_round_trip_matches_file, 0, 4);
    tcase_add_test(core, test_netio_activations);
    tcase_add_test(core, test_netio_loads_network2_file);
    tcase_add_test(core, test_netio_accepts_gradproof_cost_names_and_flat_biases);
    tcase_add_test(core, test_netio_save_replaces_existing_file);
    tcase_add_loop_test(core, test_netio_size_bound_covers_the_longest_file, 0, 4);
    suite_add_tcase(s, core);
    tcase_add_checked_fixture(errs, setup, teardown);
    tcase_add_loop_test(errs, test_netio_rejects_malformed, 0,
                        (int)(sizeof malformed / sizeof malformed[0]));
    tcase_add_test(errs, test_netio_rejects_missing_file);
    tcase_add_test(errs, test_netio_save_into_missing_dir_leaves_nothing);
    tcase_add_test(errs, test_netio_failed_rename_removes_temp_file);
    tcase_add_test(errs, test_netio_save_rejects_nonfinite);
    tcase_add_loop_test(errs, test_netio_load_string_rejects_bad_networks, 0, 4);
    tcase_add_test(errs, test_netio_save_string_rejects_nonfinite);
    tcase_add_test(errs, test_size_bound_zero_layers);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(make_netio_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
