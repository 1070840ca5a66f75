"""ctypes bindings of libgradproof (ABI mode: no compiled extension).

The library is found as $GRADPROOF_LIB, else the source tree's src/.libs (a build
made in the source tree; an out-of-tree build needs $GRADPROOF_LIB), else the
libdir make install put it in, else the system's libgradproof.so.0. GSL's abort-on-error handler is switched off, so that a
library error comes back as a status code and becomes a Python exception."""
import ctypes as C
import ctypes.util
import os

GP_MAX_LAYERS = 64
GP_MAX_WIDTH = 1000000
SIZE_MAX = 2 ** (8 * C.sizeof(C.c_size_t)) - 1
GP_DUMP_MAX_TENSORS = 5 * GP_MAX_LAYERS + 1
GP_GRADCHECK_MAX_WORST = 16
GP_FLOAT64, GP_FLOAT32, GP_BFLOAT16, GP_FLOAT16, GP_DUMP_INFER = 0, 1, 2, 3, -1


class gsl_matrix(C.Structure):
    _fields_ = [("size1", C.c_size_t), ("size2", C.c_size_t), ("tda", C.c_size_t),
                ("data", C.POINTER(C.c_double)), ("block", C.c_void_p),
                ("owner", C.c_int)]


class gsl_vector(C.Structure):
    _fields_ = [("size", C.c_size_t), ("stride", C.c_size_t),
                ("data", C.POINTER(C.c_double)), ("block", C.c_void_p),
                ("owner", C.c_int)]


class gp_params(C.Structure):
    """gradproof/network.h's gp_params, the head of a gp_network: its fields up to the
    parameter block (W^1, b^1, W^2, ..., W^l row-major)."""
    _fields_ = [("L", C.c_size_t), ("sizes", C.c_void_p), ("n_params", C.c_size_t),
                ("params", C.POINTER(gsl_vector))]


class gp_dump(C.Structure):
    _fields_ = [("L", C.c_size_t), ("m", C.c_size_t), ("n", C.c_size_t),
                ("name", (C.c_char * 32) * GP_DUMP_MAX_TENSORS),
                ("t", C.POINTER(gsl_matrix) * GP_DUMP_MAX_TENSORS)]


class gp_regularization(C.Structure):
    _fields_ = [("lam", C.c_double), ("l1", C.c_double), ("n", C.c_size_t)]


class gp_dump_compare_opts(C.Structure):
    # net, X, Y, reg, verdict: the certified rule's inputs and result (NULL: fixed rule)
    _fields_ = [("precision", C.c_int * GP_DUMP_MAX_TENSORS), ("n_worst", C.c_size_t),
                ("net", C.c_void_p), ("X", C.c_void_p), ("Y", C.c_void_p),
                ("reg", C.c_void_p), ("verdict", C.c_void_p)]


class gp_verdict_counts(C.Structure):
    _fields_ = [("n_agree", C.c_size_t), ("n_inconclusive", C.c_size_t),
                ("n_disagree", C.c_size_t), ("max_ratio", C.c_double),
                ("worst_i", C.c_size_t), ("worst_j", C.c_size_t)]


class gp_diagnosis(C.Structure):
    _fields_ = [("kind", C.c_int), ("residual", C.c_double), ("param", C.c_double),
                ("index", C.c_size_t), ("tensor", C.c_char * 32), ("other", C.c_char * 32),
                ("text", C.c_char * 256)]


class gp_dump_tensor_verdict(C.Structure):
    _fields_ = [("name", C.c_char * 32), ("precision", C.c_int), ("verdict", C.c_int),
                ("counts", gp_verdict_counts)]


class gp_dump_verdict(C.Structure):
    _fields_ = [("certified", C.c_int), ("verdict", C.c_int), ("n", C.c_size_t),
                ("t", gp_dump_tensor_verdict * GP_DUMP_MAX_TENSORS),
                ("n_agree", C.c_size_t), ("n_inconclusive", C.c_size_t),
                ("n_disagree", C.c_size_t), ("prob_fail", C.c_double),
                ("diagnosis", gp_diagnosis), ("reason", C.c_char * 128)]


class gp_bounds_model(C.Structure):
    _fields_ = [("u", C.c_double), ("tiny", C.c_double), ("libm_ulps", C.c_double),
                ("lam", C.c_double), ("round_inputs", C.c_int)]


class gp_bounds_layer(C.Structure):
    _fields_ = [(k, C.POINTER(gsl_matrix)) for k in ("z", "a", "delta", "dW", "db")]


class gp_bounds(C.Structure):
    _fields_ = [("L", C.c_size_t), ("m", C.c_size_t),
                ("worst", C.POINTER(gp_bounds_layer)), ("prob", C.POINTER(gp_bounds_layer)),
                ("cost_worst", C.c_double), ("cost_prob", C.c_double),
                ("prob_fail", C.c_double)]


class gp_fcheck_opts(C.Structure):
    _fields_ = [("precision", C.c_int), ("h", C.c_double), ("abserr_factor", C.c_double),
                ("atol", C.c_double), ("rtol", C.c_double), ("stol", C.c_double),
                ("n_worst", C.c_size_t), ("noise", C.c_int)]


class gp_fcheck_entry(C.Structure):
    _fields_ = [("tensor", C.c_size_t), ("index", C.c_size_t), ("coord", C.c_size_t),
                ("analytic", C.c_double), ("numeric", C.c_double),
                ("abserr", C.c_double), ("error", C.c_double),
                ("rel_error", C.c_double), ("allowed", C.c_double),
                ("score", C.c_double), ("digits", C.c_double)]


class gp_fcheck_tensor(C.Structure):
    _fields_ = [("name", C.c_char * 16), ("offset", C.c_size_t), ("length", C.c_size_t),
                ("cols", C.c_size_t), ("kind", C.c_int), ("layer", C.c_size_t),
                ("n_checked", C.c_size_t), ("n_failed", C.c_size_t),
                ("scale", C.c_double), ("max_abs_error", C.c_double),
                ("max_rel_error", C.c_double), ("max_score", C.c_double)]


class gp_fcheck_report(C.Structure):
    _fields_ = [("n_tensors", C.c_size_t), ("tensors", C.POINTER(gp_fcheck_tensor)),
                ("directions", gp_fcheck_tensor), ("n_checked", C.c_size_t),
                ("n_failed", C.c_size_t), ("max_abs_error", C.c_double),
                ("max_rel_error", C.c_double), ("sum_abs_numeric", C.c_double),
                ("n_at_kink", C.c_size_t), ("n_worst", C.c_size_t),
                ("worst", gp_fcheck_entry * GP_GRADCHECK_MAX_WORST),
                ("n_inconclusive", C.c_size_t), ("min_digits", C.c_double)]


class gp_activation(C.Structure):
    """gradproof/activation.h's object, filled by gp_activation_parse."""
    _fields_ = [("name", C.c_char_p), ("f", C.c_void_p), ("df", C.c_void_p),
                ("f_n", C.c_void_p), ("alpha", C.c_double)]


_LIBDIR = None  # make install writes the libdir it installs libgradproof to


def _find():
    env = os.environ.get("GRADPROOF_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "..", "..", "src", ".libs"), _LIBDIR):
        if d and os.path.exists(os.path.join(d, "libgradproof.so.0")):
            return os.path.join(d, "libgradproof.so.0")
    return ctypes.util.find_library("gradproof") or "libgradproof.so.0"


def _load():
    path = _find()
    try:
        return C.CDLL(path)
    except OSError as e:
        env = os.environ.get("GRADPROOF_LIB")
        where = ("$GRADPROOF_LIB" if env
                 else "the source tree, the install directory or the linker's path")
        hint = ("" if env else "; a build made outside the source tree: set "
                "GRADPROOF_LIB=BUILD/src/.libs/libgradproof.so.0")
        raise ImportError("gradproof: cannot load libgradproof from %s (%s): %s%s"
                          % (where, path, e, hint)) from None


lib = _load()
_P = C.c_void_p
_M = C.POINTER(gsl_matrix)
_sigs = {
    "gsl_set_error_handler_off": (_P, []),
    "gsl_matrix_alloc": (_M, [C.c_size_t, C.c_size_t]),
    "gsl_matrix_free": (None, [_M]),
    "gp_netio_load_string": (C.c_int, [C.c_char_p, C.c_size_t, C.POINTER(_P),
                                       C.c_char_p, C.c_size_t]),
    "gp_netio_save_string": (C.c_int, [_P, C.POINTER(_P), C.c_char_p, C.c_size_t]),
    "gp_netio_string_free": (None, [_P]),
    "gp_network_alloc": (_P, [C.c_size_t, C.POINTER(C.c_size_t), _P]),
    "gp_network_free": (None, [_P]),
    "gp_network_set_activation": (C.c_int, [_P, C.c_size_t, _P]),
    "gp_activation_lookup": (_P, [C.c_char_p]),
    "gp_activation_parse": (C.c_int, [C.c_char_p, C.POINTER(gp_activation)]),
    "gp_cost_lookup": (_P, [C.c_char_p]),
    "gp_cost_names": (C.c_char_p, []),
    "gp_cost_target_misfit": (C.c_int, [_P, _M, C.POINTER(C.c_size_t),
                                        C.POINTER(C.c_double)]),
    "gp_dump_init": (C.c_int, [C.POINTER(gp_dump), C.c_size_t]),
    "gp_dump_free": (None, [C.POINTER(gp_dump)]),
    "gp_dump_find": (C.c_int, [C.POINTER(gp_dump), C.c_char_p]),
    "gp_dump_nonfinite": (C.c_int, [C.POINTER(gp_dump), C.POINTER(C.c_size_t),
                                    C.POINTER(C.c_size_t), C.POINTER(C.c_size_t)]),
    "gp_dump_compute": (C.c_int, [_P, _M, _M, C.POINTER(gp_regularization),
                                  C.POINTER(gp_dump)]),
    "gp_dump_compare_opts_default": (None, [C.POINTER(gp_dump_compare_opts)]),
    "gp_dump_compare": (C.c_int, [C.POINTER(gp_dump), C.POINTER(gp_dump),
                                  C.POINTER(gp_dump_compare_opts),
                                  C.POINTER(C.POINTER(gp_fcheck_report)),
                                  C.POINTER(C.c_int)]),
    "gp_bounds_model_init": (C.c_int, [C.POINTER(gp_bounds_model), C.c_char_p]),
    "gp_bounds_alloc": (C.POINTER(gp_bounds), [_P, C.c_size_t]),
    "gp_bounds_free": (None, [C.POINTER(gp_bounds)]),
    "gp_bounds_compute": (C.c_int, [_P, _M, _M, C.POINTER(gp_regularization),
                                    C.POINTER(gp_bounds_model), C.POINTER(gp_bounds)]),
    "gp_bounds_verdict": (C.c_int, [C.c_double] * 5),
    "gp_verdict_name": (C.c_char_p, [C.c_int]),
    "gp_diag_kind_name": (C.c_char_p, [C.c_int]),
    "gp_fcheck_report_free": (None, [C.POINTER(gp_fcheck_report)]),
    "gp_fcheck_entry_name": (None, [C.POINTER(gp_fcheck_report),
                                    C.POINTER(gp_fcheck_entry), C.c_char_p,
                                    C.c_size_t]),
    "gp_fcheck_opts_compare": (None, [C.POINTER(gp_fcheck_opts), C.c_int]),
    "gp_fcheck_rule": (C.c_int, [C.POINTER(gp_fcheck_opts), C.c_double, C.c_double,
                                 C.c_double, C.c_double, C.POINTER(C.c_double)]),
}
for _name, (_res, _args) in _sigs.items():
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args
lib.gsl_set_error_handler_off()
