/* optiscribe.verify._canonc: the canonical form's array stage of one model, compiled.
 *
 * One function, prepare(...) -> tuple | None: the arrays verify/_canon.py's
 * _prepare_arrays computes with numpy (bounds with the singleton rows folded in and the
 * integer bounds rounded, the kept rows split into half-rows with their original row, side
 * and right-hand side, the half-rows' CSR, their scales, the folded rows) and the counts
 * its steps and infeasibility reasons are written from, which the caller still writes in
 * Python (the same texts). The same rules, operation for operation, with numpy's IEEE
 * semantics: np.maximum.at / np.minimum.at (on zeros of opposite signs as this process's
 * numpy does it, which depends on the platform; declined on a NaN), ceil/floor after the
 * 1e-9 tolerance,
 * x + 0.0 (-0.0 -> 0.0),
 * the EQ_TOL test, v * -1.0 (not -v: a NaN keeps its sign under a multiplication on every
 * IEEE machine, which -v would flip). No fused multiply-add (contraction is off: verify/_npbuf.h) and
 * no excess precision (FLT_EVAL_METHOD must be 0, or this file does not build and the
 * Python code runs).
 *
 * It returns None, and the caller runs the numpy code, on anything else: an input that is
 * not float64 / bool / int32-or-int64 and C-contiguous, inconsistent sizes or offsets, a
 * singleton row's column out of range, a NaN bound where a singleton row is folded, or
 * a kept row with a zero or NaN coefficient
 * (the numpy code then canonicalises the rows with scipy, or reduces NaN as numpy does). So a
 * model is prepared the same with or without this module (tests/verify/test_canonc.py
 * holds the two to each other bit for bit).
 *
 * The arrays are made by numpy.empty, so they are what numpy's own operations give
 * (owning, writeable, C-contiguous), and filled through the buffer protocol.
 *
 * Built with the limited API (one wheel per platform for every CPython >= 3.11).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_npbuf.h"

static PyObject *dt_f8, *dt_i8, *dt_i1, *dt_bool; /* numpy dtypes */

/* np.maximum of two floats where neither is NaN and they are not zeros of opposite
 * signs (the only values it is used on below): the larger, either on a tie */
static inline double np_max(double a, double b) { return a > b ? a : b; }

/* np.maximum.at (is_max) or np.minimum.at of the current value cur with nw, neither NaN.
 * On zeros of opposite signs numpy's answer depends on the platform (x86's maxsd keeps
 * the second operand, ARM's fmax the positive zero): `ties` says, for this process's
 * numpy, whether the new value wins (bit 0: maximum of +0 with -0, bit 1: maximum of -0
 * with +0, bits 2 and 3: minimum), as _canon._zero_ties found by asking numpy itself. */
static inline double np_fold(double cur, double nw, int is_max, int ties) {
    if (cur == nw) {
        if (signbit(cur) == signbit(nw)) return cur; /* the same number, bit for bit */
        int bit = (is_max ? 0 : 2) + (signbit(cur) ? 1 : 0);
        return (ties >> bit) & 1 ? nw : cur;
    }
    return is_max ? (nw > cur ? nw : cur) : (nw < cur ? nw : cur);
}

/* ------------------------------------------------------------------ input buffers */

enum { IN_INDPTR, IN_INDICES, IN_DATA, IN_LO, IN_HI, IN_LB, IN_UB, IN_INT, N_IN };

static inline int64_t int_at(const Py_buffer *b, int wide, Py_ssize_t i) {
    return wide ? ((const int64_t *)b->buf)[i] : (int64_t)((const int32_t *)b->buf)[i];
}

enum {
    O_LB, O_UB, O_ORIG, O_SIDE, O_RHS, O_ISEQ, O_PTR, O_IND, O_DATA, O_SCALE, O_FOLD, N_OUT
};

/* row classes */
#define R_EMPTY 1
#define R_FREE 2
#define R_SINGLE 3
#define R_EQ 4
#define R_UP 8
#define R_DN 16

static PyObject *prepare(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *in_obj[N_IN], *ind_dtype;
    Py_buffer in[N_IN];
    int held_in[N_IN] = {0};
    Out out[N_OUT];
    memset(out, 0, sizeof out);
    unsigned char *cls = NULL;
    PyObject *result = NULL, *bad_rows = NULL, *bad_vars = NULL;
    int decline = 0;

    double ZERO_TOL, EQ_TOL; /* _canon's, passed in: one copy of each */
    int ties;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOddi:prepare", &in_obj[IN_INDPTR], &in_obj[IN_INDICES],
                          &in_obj[IN_DATA], &in_obj[IN_LO], &in_obj[IN_HI], &in_obj[IN_LB],
                          &in_obj[IN_UB], &in_obj[IN_INT], &ind_dtype, &ZERO_TOL, &EQ_TOL,
                          &ties))
        return NULL;
    static const char want[N_IN] = {'i', 'i', 'f', 'f', 'f', 'f', 'f', '?'};
    for (int k = 0; k < N_IN; k++) {
        if (PyObject_GetBuffer(in_obj[k], &in[k], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyErr_Clear();
            decline = 1;
            goto done;
        }
        held_in[k] = 1;
        char kd = kind_of(&in[k]);
        if (in[k].ndim != 1 || !(kd == want[k] || (want[k] == 'i' && (kd == '4' || kd == '8')))) {
            decline = 1;
            goto done;
        }
    }
    const int wide_ptr = kind_of(&in[IN_INDPTR]) == '8';
    const int wide_ind = kind_of(&in[IN_INDICES]) == '8';
    const Py_ssize_t m = in[IN_LO].shape[0], n = in[IN_LB].shape[0];
    const Py_ssize_t n_ind = in[IN_INDICES].shape[0], n_data = in[IN_DATA].shape[0];
    if (in[IN_HI].shape[0] != m || in[IN_INDPTR].shape[0] != m + 1 || in[IN_UB].shape[0] != n ||
        in[IN_INT].shape[0] != n) {
        decline = 1;
        goto done;
    }
    const Py_buffer *P = &in[IN_INDPTR], *I = &in[IN_INDICES];
    const double *A = in[IN_DATA].buf, *lo = in[IN_LO].buf, *hi = in[IN_HI].buf;
    const double *cl = in[IN_LB].buf, *cu = in[IN_UB].buf;
    const unsigned char *integer = in[IN_INT].buf;

    /* pass 1: the class of each row, the counts, the sizes of the outputs */
    cls = PyMem_Malloc(m ? (size_t)m : 1);
    if (!cls) {
        PyErr_NoMemory();
        goto done;
    }
    bad_rows = PyList_New(0);
    bad_vars = PyList_New(0);
    if (!bad_rows || !bad_vars) goto done;
    Py_ssize_t n_empty = 0, n_free = 0, n_single = 0, n_eq = 0, n_up = 0, n_dn = 0, n_both = 0;
    Py_ssize_t nnz_out = 0;
    const int64_t lim = (int64_t)(n_ind < n_data ? n_ind : n_data);
    int64_t prev = int_at(P, wide_ptr, 0);
    if (prev < 0) {
        decline = 1;
        goto done;
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        int64_t next = int_at(P, wide_ptr, i + 1);
        if (next < prev || next > lim) {
            decline = 1;
            goto done;
        }
        int64_t k = next - prev;
        prev = next;
        double l = lo[i], h = hi[i];
        if (k == 0) {
            cls[i] = R_EMPTY;
            n_empty++;
            if ((l > ZERO_TOL || h < -ZERO_TOL) && PyList_Size(bad_rows) < 3) {
                PyObject *x = PyLong_FromSsize_t(i);
                if (!x || PyList_Append(bad_rows, x) < 0) {
                    Py_XDECREF(x);
                    goto done;
                }
                Py_DECREF(x);
            }
        } else if (l == -INFINITY && h == INFINITY) {
            cls[i] = R_FREE;
            n_free++;
        } else if (k == 1) {
            cls[i] = R_SINGLE;
            n_single++;
        } else {
            int f_lo = isfinite(l), f_hi = isfinite(h);
            double w = h - l;
            double big = np_max(fabs(l), fabs(h));
            if (f_lo && f_hi && w <= EQ_TOL * np_max(1.0, big)) {
                cls[i] = R_EQ;
                n_eq++;
                nnz_out += k;
            } else {
                cls[i] = (unsigned char)((f_hi ? R_UP : 0) | (f_lo ? R_DN : 0));
                n_up += f_hi;
                n_dn += f_lo;
                n_both += f_hi && f_lo;
                nnz_out += k * (f_hi + f_lo);
            }
        }
    }
    const Py_ssize_t n_half = n_eq + n_up + n_dn;

    /* the outputs */
    PyObject *dts[N_OUT] = {dt_f8, dt_f8, dt_i8, dt_i1, dt_f8, dt_bool,
                            dt_i8, n_half ? ind_dtype : dt_i8, dt_f8, dt_f8, dt_i8};
    Py_ssize_t sizes[N_OUT] = {n, n, n_half, n_half, n_half, n_half, n_half + 1,
                               nnz_out, nnz_out, n_half, n_single};
    for (int k = 0; k < N_OUT; k++)
        if (out_new(&out[k], sizes[k], 0, dts[k]) < 0) goto done;
    if (n_half && out[O_IND].view.itemsize != I->itemsize) {
        decline = 1;
        goto done;
    }
    double *lb = out[O_LB].view.buf, *ub = out[O_UB].view.buf;
    memcpy(lb, cl, (size_t)n * sizeof(double));
    memcpy(ub, cu, (size_t)n * sizeof(double));

    /* singleton rows into bounds, in row order (np.maximum.at / np.minimum.at) */
    int64_t *fold = out[O_FOLD].view.buf;
    Py_ssize_t s = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (cls[i] != R_SINGLE) continue;
        int64_t p = int_at(P, wide_ptr, i);
        int64_t j = int_at(I, wide_ind, p);
        if (j < 0 || j >= n) {
            decline = 1;
            goto done;
        }
        double a = A[p];
        double l_new = a > 0 ? lo[i] / a : hi[i] / a;
        double u_new = a > 0 ? hi[i] / a : lo[i] / a;
        if (isnan(lb[j]) || isnan(l_new) || isnan(ub[j]) || isnan(u_new)) {
            decline = 1; /* which NaN numpy propagates: left to numpy */
            goto done;
        }
        lb[j] = np_fold(lb[j], l_new, 1, ties);
        ub[j] = np_fold(ub[j], u_new, 0, ties);
        fold[s++] = i;
    }

    /* integer bounds rounded, with the tolerance */
    int rounded = 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        if (!integer[j]) continue;
        double li = lb[j], ui = ub[j];
        double lr = isfinite(li) ? ceil(li - 1e-9 * np_max(1.0, fabs(li))) : li;
        double ur = isfinite(ui) ? floor(ui + 1e-9 * np_max(1.0, fabs(ui))) : ui;
        if (!(lr == li) || !(ur == ui)) rounded = 1; /* np.array_equal: NaN is unequal */
        lb[j] = lr;
        ub[j] = ur;
    }

    /* empty domains (before -0.0 -> 0.0: the reasons print the values as they are) */
    for (Py_ssize_t j = 0; j < n; j++) {
        double l = lb[j], u = ub[j];
        if (PyList_Size(bad_vars) < 3 && l > u + 1e-9 * np_max(1.0, fabs(u))) {
            PyObject *x = Py_BuildValue("(ndd)", j, l, u);
            if (!x || PyList_Append(bad_vars, x) < 0) {
                Py_XDECREF(x);
                goto done;
            }
            Py_DECREF(x);
        }
        lb[j] = l + 0.0;
        ub[j] = u + 0.0;
    }

    /* the half-rows: equalities, then upper sides, then lower sides (negated) */
    int64_t *orig = out[O_ORIG].view.buf, *ptr = out[O_PTR].view.buf;
    int8_t *side = out[O_SIDE].view.buf;
    double *rhs = out[O_RHS].view.buf, *data = out[O_DATA].view.buf;
    double *scale = out[O_SCALE].view.buf;
    unsigned char *is_eq = out[O_ISEQ].view.buf;
    char *ind = out[O_IND].view.buf;
    const char *src_ind = I->buf;
    const Py_ssize_t isz = I->itemsize;
    const double minus_one = MINUS_ONE, plus_one = PLUS_ONE;
    int scaled = 0;
    Py_ssize_t h = 0, q = 0;
    ptr[0] = 0;
    for (int pass = 0; pass < 3; pass++) {
        const unsigned char bit = pass == 0 ? R_EQ : pass == 1 ? R_UP : R_DN;
        const double sgn = pass == 2 ? minus_one : plus_one;
        const int8_t sd = pass == 0 ? 0 : pass == 1 ? 1 : -1;
        for (Py_ssize_t i = 0; i < m; i++) {
            if (cls[i] < R_EQ || !(cls[i] & bit)) continue;
            int64_t a0 = int_at(P, wide_ptr, i), a1 = int_at(P, wide_ptr, i + 1);
            orig[h] = i;
            side[h] = sd;
            is_eq[h] = pass == 0;
            rhs[h] = pass == 0 ? lo[i] : pass == 1 ? hi[i] : -lo[i];
            memcpy(ind + q * isz, src_ind + a0 * isz, (size_t)(a1 - a0) * (size_t)isz);
            double acc = 0.0;
            for (int64_t p = a0; p < a1; p++, q++) {
                double v = A[p] * sgn;
                if (v == 0.0 || isnan(v)) {
                    decline = 1; /* numpy's code canonicalises or reduces these */
                    goto done;
                }
                double x = fabs(v);
                acc = p == a0 ? x : np_max(acc, x);
                data[q] = v;
            }
            ptr[h + 1] = q;
            scale[h] = acc;
            scaled |= acc != 1.0;
            h++;
        }
    }

    result = Py_BuildValue(
        "(OOOOOOOOOOOnOnOOnnO)", out[O_LB].obj, out[O_UB].obj, out[O_ORIG].obj,
        out[O_SIDE].obj, out[O_RHS].obj, out[O_ISEQ].obj, out[O_PTR].obj, out[O_IND].obj,
        out[O_DATA].obj, out[O_SCALE].obj, out[O_FOLD].obj, n_empty, bad_rows, n_free,
        rounded ? Py_True : Py_False, bad_vars, n_both, n_dn, scaled ? Py_True : Py_False);

done:
    out_release(out, N_OUT);
    for (int k = 0; k < N_IN; k++)
        if (held_in[k]) PyBuffer_Release(&in[k]);
    PyMem_Free(cls);
    Py_XDECREF(bad_rows);
    Py_XDECREF(bad_vars);
    if (decline && !result && !PyErr_Occurred()) Py_RETURN_NONE;
    return result;
}

static PyMethodDef methods[] = {
    {"prepare", prepare, METH_VARARGS,
     "prepare(indptr, indices, data, row_lower, row_upper, col_lower, col_upper, integer, "
     "indices_dtype, zero_tol, eq_tol, zero_ties) -> tuple | None: _canon._prepare_arrays's arrays and counts (see "
     "verify/_canon.py, _prepare_compiled); None when the caller should run the numpy code."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_canonc", "The canonical form's array stage, compiled.", -1,
    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__canonc(void) {
    static const char *const names[] = {"float64", "int64", "int8", "bool"};
    PyObject *dts[4];
    if (npbuf_init(names, dts, 4) < 0) return NULL;
    dt_f8 = dts[0];
    dt_i8 = dts[1];
    dt_i1 = dts[2];
    dt_bool = dts[3];
    return PyModule_Create(&module);
}
