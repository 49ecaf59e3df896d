/* optiscribe.verify._certifyc: the re-verification of a mapping (verify/_certify.py's
 * _verify_mapping_arrays), compiled.
 *
 * One function, verify(...) -> tuple | None: the same checks in the same order on the
 * models as read (the variable map a bijection, the types kept, the effective bounds
 * (column bounds with the singleton rows folded in and the integer bounds rounded) and the
 * costs close, the objective constants close, every half-row of each model paired or a
 * checked duplicate, the duplicates proportional to the rows they were merged with, the
 * paired sides alike, and the paired rows proportional with the reference's columns
 * renamed), stopping at the first failure. It returns (code, a, b, x, y): the failure's
 * code and its indices and values (code 0: none), and the caller writes the message in
 * Python with the texts the numpy code uses (_certify._failure).
 *
 * The same rules, operation for operation, with numpy's IEEE semantics: np.maximum.at /
 * np.minimum.at on zeros of opposite signs as this process's numpy does it (the caller
 * passes _canon._ZERO_TIES), ceil/floor after the 1e-9 tolerance, v * -1.0 (not -v), the
 * tolerance tests of _close, np.maximum's NaN propagation, and the row products summed
 * as np.add.reduceat sums them (numpy's pairwise summation: the sign of a sum near zero
 * decides a side). Where the numpy code's two proportionality paths differ (the same
 * sparsity pattern in every row, or scipy's sparse products, which drop products that
 * underflow to zero) both are followed. No fused multiply-add (contraction is off below)
 * and no excess precision (FLT_EVAL_METHOD must be 0, or this file does not build and the
 * Python code runs).
 *
 * It shares no rule with the canonical form (verify/_canonc.c): the certificate check is
 * independent of what found the mapping, so the few float rules both need are written
 * here again. Only the reading of an array's format is shared (verify/_bufletter.h).
 *
 * It returns None, and the caller runs the numpy code, on anything else: an input that is
 * not float64 / bool / a signed integer and C-contiguous, inconsistent sizes or offsets, a
 * matrix not marked canonical, a row or column index out of range, a side not in
 * {-1, 0, 1}, a NaN where a singleton row is folded, a bool byte other than 0 / 1, a
 * compared row with a zero, NaN or infinite coefficient or with repeated or (without a
 * map) unsorted columns. So a mapping gets the same answer with or without this module
 * (tests/verify/test_certifyc.py holds the two to each other).
 *
 * Built with the limited API (one wheel per platform for every CPython >= 3.11).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_bufletter.h"

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "double arithmetic with excess precision: numpy's results cannot be matched"
#endif

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* read through a volatile so that v * MINUS_ONE stays a multiplication (GCC folds
 * v * -1.0 into -v, which differs on a NaN's sign) */
static volatile double MINUS_ONE = -1.0;
static volatile double PLUS_ONE = 1.0;

/* the failures, as _certify._FAIL_* codes */
enum {
    FAIL_OK = 0,
    FAIL_VARS = 1,
    FAIL_BIJECTION = 2,
    FAIL_TYPE = 3,
    FAIL_INFEASIBLE = 4,
    FAIL_BOUND = 5,
    FAIL_OFFSET = 6,
    FAIL_COVER = 7,
    FAIL_DUP = 8,
    FAIL_SIDE = 9,
    FAIL_ROW = 10,
};

/* np.maximum of two floats: NaN propagates (the first NaN), else the larger */
static inline double np_maximum(double a, double b) {
    if (isnan(a)) return a;
    if (isnan(b)) return b;
    return a >= b ? a : b;
}

/* np.maximum.at (is_max) or np.minimum.at of the current value cur with nw, neither NaN;
 * `ties` says which zero this process's numpy keeps on zeros of opposite signs (bit 0:
 * maximum of +0 with -0, bit 1: maximum of -0 with +0, bits 2 and 3: minimum; set when
 * the new value wins), as _canon._zero_ties found by asking numpy itself. */
static inline double np_fold(double cur, double nw, int is_max, int ties) {
    if (cur == nw) {
        if (signbit(cur) == signbit(nw)) return cur;
        int bit = (is_max ? 0 : 2) + (signbit(cur) ? 1 : 0);
        return (ties >> bit) & 1 ? nw : cur;
    }
    return is_max ? (nw > cur ? nw : cur) : (nw < cur ? nw : cur);
}

/* _certify._close for two floats */
static inline int close_to(double a, double b, double tol) {
    if (isinf(a) && a == b) return 1;
    if (!(isfinite(a) && isfinite(b))) return 0;
    double diff = a - b;
    double scale = np_maximum(np_maximum(fabs(a), fabs(b)), 1e-300);
    return fabs(diff) <= tol * scale + 1e-12;
}

/* numpy's pairwise summation (DOUBLE_pairwise_sum, numpy/_core/src/umath/loops_utils.h.src):
 * blocks of at most 128 summed with 8 accumulators, split in halves above that */
static double pairwise_sum(const double *a, Py_ssize_t n) {
    if (n < 8) {
        double res = 0.;
        for (Py_ssize_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int k = 0; k < 8; k++) r[k] = a[k];
        Py_ssize_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++) r[k] += a[i + k];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    Py_ssize_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/* one segment of np.add.reduceat (n >= 1): the first element, plus the rest summed as
 * the add loop's reduction sums them */
static inline double reduceat_sum(const double *a, Py_ssize_t n) {
    double out = a[0];
    if (n > 1) out += pairwise_sum(a + 1, n - 1);
    return out;
}

/* ------------------------------------------------------------------ input buffers */

typedef struct {
    Py_buffer v;
    int held;
    char kind; /* 'f' float64, '?' bool, 'i' signed integer (itemsize 1, 2, 4 or 8) */
    Py_ssize_t n;
} Buf;

static char kind_of(const Py_buffer *b) {
    switch (buffer_letter(b)) {
    case 'd':
        return b->itemsize == 8 ? 'f' : 0;
    case '?':
        return b->itemsize == 1 ? '?' : 0;
    case 'b':
    case 'h':
    case 'i':
    case 'l':
    case 'q':
        return (b->itemsize == 1 || b->itemsize == 2 || b->itemsize == 4 || b->itemsize == 8)
                   ? 'i'
                   : 0;
    default:
        return 0;
    }
}

/* a 1-d C-contiguous buffer of the wanted kind; 0 on success, 1 to decline, -1 error */
static int buf_get(Buf *b, PyObject *obj, char want) {
    if (PyObject_GetBuffer(obj, &b->v, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 1;
    }
    b->held = 1;
    b->kind = kind_of(&b->v);
    if (b->v.ndim != 1 || b->kind != want) return 1;
    b->n = b->v.shape[0];
    return 0;
}

static inline int64_t iat(const Buf *b, Py_ssize_t i) {
    switch (b->v.itemsize) {
    case 1:
        return ((const int8_t *)b->v.buf)[i];
    case 2:
        return ((const int16_t *)b->v.buf)[i];
    case 4:
        return ((const int32_t *)b->v.buf)[i];
    default:
        return ((const int64_t *)b->v.buf)[i];
    }
}

enum { M_PTR, M_IND, M_DATA, M_LO, M_HI, M_LB, M_UB, M_INT, M_C, N_M };
static const char M_KIND[N_M] = {'i', 'i', 'f', 'f', 'f', 'f', 'f', '?', 'f'};

typedef struct {
    Buf b[N_M];
    Py_ssize_t m, n;
    const double *data, *lo, *hi, *cl, *cu, *c;
    const unsigned char *integer;
    double *lb, *ub; /* effective bounds (owned) */
    int infeasible;
} Model;

/* the model's arrays, checked: 0 ok, 1 decline, -1 error */
static int model_get(Model *M, PyObject *const objs[N_M], int canonical) {
    for (int k = 0; k < N_M; k++) {
        int r = buf_get(&M->b[k], objs[k], M_KIND[k]);
        if (r) return r;
    }
    if (!canonical) return 1;
    M->m = M->b[M_LO].n;
    M->n = M->b[M_LB].n;
    if (M->b[M_HI].n != M->m || M->b[M_PTR].n != M->m + 1 || M->b[M_UB].n != M->n ||
        M->b[M_INT].n != M->n || M->b[M_C].n != M->n)
        return 1;
    const Buf *P = &M->b[M_PTR];
    int64_t lim = M->b[M_IND].n < M->b[M_DATA].n ? M->b[M_IND].n : M->b[M_DATA].n;
    int64_t prev = iat(P, 0);
    if (prev < 0) return 1;
    for (Py_ssize_t i = 1; i <= M->m; i++) {
        int64_t next = iat(P, i);
        if (next < prev || next > lim) return 1;
        prev = next;
    }
    M->data = M->b[M_DATA].v.buf;
    M->lo = M->b[M_LO].v.buf;
    M->hi = M->b[M_HI].v.buf;
    M->cl = M->b[M_LB].v.buf;
    M->cu = M->b[M_UB].v.buf;
    M->c = M->b[M_C].v.buf;
    M->integer = M->b[M_INT].v.buf;
    for (Py_ssize_t j = 0; j < M->n; j++)
        if (M->integer[j] > 1) return 1;
    return 0;
}

static void model_release(Model *M) {
    for (int k = 0; k < N_M; k++)
        if (M->b[k].held) PyBuffer_Release(&M->b[k].v);
    PyMem_Free(M->lb);
    PyMem_Free(M->ub);
}

/* _certify._effective: 0 ok, 1 decline, -1 error */
static int effective(Model *M, int ties) {
    const Py_ssize_t m = M->m, n = M->n;
    M->lb = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(double));
    M->ub = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(double));
    if (!M->lb || !M->ub) {
        PyErr_NoMemory();
        return -1;
    }
    double *lb = M->lb, *ub = M->ub;
    memcpy(lb, M->cl, (size_t)n * sizeof(double));
    memcpy(ub, M->cu, (size_t)n * sizeof(double));
    const Buf *P = &M->b[M_PTR], *I = &M->b[M_IND];
    int infeasible = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        int64_t p = iat(P, i), k = iat(P, i + 1) - p;
        if (k == 1) {
            int64_t j = iat(I, p);
            if (j < 0 || j >= n) return 1;
            double a = M->data[p], lo = M->lo[i], hi = M->hi[i];
            double lo_j = a > 0 ? lo / a : hi / a;
            double hi_j = a > 0 ? hi / a : lo / a;
            if (isnan(lb[j]) || isnan(lo_j) || isnan(ub[j]) || isnan(hi_j))
                return 1; /* which NaN numpy propagates: left to numpy */
            lb[j] = np_fold(lb[j], lo_j, 1, ties);
            ub[j] = np_fold(ub[j], hi_j, 0, ties);
        } else if (k == 0 && (M->lo[i] > 1e-12 || M->hi[i] < -1e-12)) {
            infeasible = 1;
        }
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        if (!M->integer[j]) continue;
        double li = lb[j], ui = ub[j];
        if (isfinite(li)) lb[j] = ceil(li - 1e-9 * np_maximum(1.0, fabs(li)));
        if (isfinite(ui)) ub[j] = floor(ui + 1e-9 * np_maximum(1.0, fabs(ui)));
    }
    for (Py_ssize_t j = 0; j < n; j++)
        if (lb[j] > ub[j] + 1e-9 * np_maximum(1.0, fabs(ub[j]))) infeasible = 1;
    M->infeasible = infeasible;
    return 0;
}

/* ------------------------------------------------------------------ half-rows */

/* a list of half-rows (row, side), checked against the model */
typedef struct {
    Buf row, side;
    Py_ssize_t n;
} Half;

static int half_get(Half *H, PyObject *rows, PyObject *sides, const Model *M) {
    int r = buf_get(&H->row, rows, 'i');
    if (r) return r;
    r = buf_get(&H->side, sides, 'i');
    if (r) return r;
    if (H->row.n != H->side.n) return 1;
    H->n = H->row.n;
    for (Py_ssize_t k = 0; k < H->n; k++) {
        int64_t i = iat(&H->row, k), s = iat(&H->side, k);
        if (i < 0 || i >= M->m || s < -1 || s > 1) return 1;
    }
    return 0;
}

static void half_release(Half *H) {
    if (H->row.held) PyBuffer_Release(&H->row.v);
    if (H->side.held) PyBuffer_Release(&H->side.v);
}

/* _certify._rows's result: half-rows as '<=' / '=' rows with sorted columns */
typedef struct {
    Py_ssize_t k;   /* rows */
    int64_t *ptr;   /* k + 1 */
    int64_t *col;   /* ptr[k] */
    double *val;    /* ptr[k] */
    double *rhs;    /* k */
} Rows;

static void rows_free(Rows *R) {
    PyMem_Free(R->ptr);
    PyMem_Free(R->col);
    PyMem_Free(R->val);
    PyMem_Free(R->rhs);
    memset(R, 0, sizeof *R);
}

typedef struct {
    int64_t col;
    double val;
} Entry;

static int entry_cmp(const void *x, const void *y) {
    int64_t a = ((const Entry *)x)->col, b = ((const Entry *)y)->col;
    return (a > b) - (a < b);
}

/* _certify._rows(M, H's rows, H's sides, col_map): 0 ok, 1 decline, -1 error. The numpy
 * code's fast path (a canonical matrix, no zero among the rows' entries); the rest is
 * declined, and no NaN or infinity is taken. col_map, when given, is a bijection of
 * 0..n-1 (checked before). */
static int rows_make(Rows *R, const Model *M, const Half *H, const Buf *col_map, Entry *tmp) {
    const Buf *P = &M->b[M_PTR], *I = &M->b[M_IND];
    const Py_ssize_t K = H->n;
    int64_t total = 0;
    for (Py_ssize_t k = 0; k < K; k++) {
        int64_t i = iat(&H->row, k);
        total += iat(P, i + 1) - iat(P, i);
        if (total > (int64_t)(PY_SSIZE_T_MAX / 16)) return 1;
    }
    R->k = K;
    R->ptr = PyMem_Malloc((size_t)(K + 1) * sizeof(int64_t));
    R->col = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(int64_t));
    R->val = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(double));
    R->rhs = PyMem_Malloc((size_t)(K ? K : 1) * sizeof(double));
    if (!R->ptr || !R->col || !R->val || !R->rhs) {
        PyErr_NoMemory();
        return -1;
    }
    const double minus_one = MINUS_ONE;
    int64_t q = 0;
    R->ptr[0] = 0;
    for (Py_ssize_t k = 0; k < K; k++) {
        int64_t i = iat(&H->row, k), s = iat(&H->side, k);
        int64_t a0 = iat(P, i), a1 = iat(P, i + 1);
        for (int64_t p = a0; p < a1; p++) {
            int64_t j = iat(I, p);
            double v = M->data[p];
            if (j < 0 || j >= M->n || v == 0.0 || !isfinite(v)) return 1;
            if (s < 0) v = v * minus_one;
            if (col_map) {
                tmp[p - a0].col = iat(col_map, j);
                tmp[p - a0].val = v;
            } else {
                if (p > a0 && j <= R->col[q - 1]) return 1; /* not sorted: numpy's scipy path */
                R->col[q] = j;
                R->val[q] = v;
                q++;
            }
        }
        if (col_map) {
            int64_t cnt = a1 - a0;
            if (cnt > 1) {
                if (cnt <= 16) {
                    for (int64_t x = 1; x < cnt; x++) {
                        Entry e = tmp[x];
                        int64_t y = x;
                        for (; y > 0 && tmp[y - 1].col > e.col; y--) tmp[y] = tmp[y - 1];
                        tmp[y] = e;
                    }
                } else {
                    qsort(tmp, (size_t)cnt, sizeof(Entry), entry_cmp);
                }
            }
            for (int64_t x = 0; x < cnt; x++) {
                if (x > 0 && tmp[x].col == tmp[x - 1].col) return 1; /* a repeat */
                R->col[q] = tmp[x].col;
                R->val[q] = tmp[x].val;
                q++;
            }
        }
        R->ptr[k + 1] = q;
        R->rhs[k] = s < 0 ? -M->lo[i] : s > 0 ? M->hi[i] : M->lo[i];
    }
    return 0;
}

/* the largest |entry| of row k (0 for an empty row), NaN propagating as np.maximum does */
static double row_absmax(const Rows *R, Py_ssize_t k) {
    double out = 0.0;
    for (int64_t p = R->ptr[k]; p < R->ptr[k + 1]; p++) {
        double x = fabs(R->val[p]);
        out = p == R->ptr[k] ? x : np_maximum(out, x);
    }
    return out;
}

/* _certify._proportional(R, rr, C, cr, eq, tol): the first failing row, or -1. eq is
 * side == 0 of H's sides. buf: room for the longest row's products. */
static Py_ssize_t proportional(const Rows *R, const Rows *C, const Half *H, double tol,
                               double *ra, double *buf) {
    const Py_ssize_t K = R->k;
    if (K == 0) return -1;
    for (Py_ssize_t k = 0; k < K; k++) ra[k] = row_absmax(R, k);
    Py_ssize_t first = -1;
    for (Py_ssize_t k = 0; k < K; k++) {
        if (ra[k] == 0 || row_absmax(C, k) == 0) {
            first = k;
            break;
        }
    }
    if (first >= 0) return first;
    /* the numpy code compares the data directly when both have the same pattern in every
     * row, and otherwise takes scipy's sparse products (which drop zero products) */
    int same = 1;
    for (Py_ssize_t k = 0; k <= K && same; k++) same = R->ptr[k] == C->ptr[k];
    for (int64_t p = 0; same && p < R->ptr[K]; p++) same = R->col[p] == C->col[p];
    const double minus_one = MINUS_ONE, plus_one = PLUS_ONE;
    for (Py_ssize_t k = 0; k < K; k++) {
        const int eq = iat(&H->side, k) == 0;
        double lam = ra[k] / row_absmax(C, k);
        int64_t p = R->ptr[k], pe = R->ptr[k + 1], q = C->ptr[k], qe = C->ptr[k + 1];
        Py_ssize_t t = 0;
        if (same) {
            for (; p < pe; p++, q++) buf[t++] = R->val[p] * C->val[q];
        } else {
            while (p < pe && q < qe) {
                if (R->col[p] < C->col[q]) {
                    p++;
                } else if (R->col[p] > C->col[q]) {
                    q++;
                } else {
                    double x = R->val[p++] * C->val[q++];
                    if (x != 0) buf[t++] = x;
                }
            }
        }
        double dot = t ? reduceat_sum(buf, t) : 0.0;
        int bad_sign = !eq && dot <= 0;
        lam = lam * (eq ? (dot < 0 ? minus_one : plus_one) : plus_one);
        /* the largest |r - c * lam| over both rows' entries (an entry of one row only is
         * its own, or -(c * lam)) */
        double dmax = 0.0;
        int any = 0;
        p = R->ptr[k];
        q = C->ptr[k];
        while (p < pe || q < qe) {
            double d;
            if (q >= qe || (p < pe && R->col[p] < C->col[q])) {
                d = R->val[p++];
            } else if (p >= pe || R->col[p] > C->col[q]) {
                d = 0.0 - C->val[q++] * lam;
            } else {
                d = R->val[p++] - C->val[q++] * lam;
            }
            d = fabs(d);
            dmax = any ? np_maximum(dmax, d) : d;
            any = 1;
        }
        if (bad_sign || dmax > tol * ra[k] || !close_to(R->rhs[k], lam * C->rhs[k], tol))
            return k;
    }
    return -1;
}

/* ------------------------------------------------------------------ verify */

static PyObject *verify(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *mo[2][N_M], *vm_obj, *ho[6][2];
    int canon[2], ties;
    double sense[2], off[2], tol;
    if (!PyArg_ParseTuple(args, "(OOOOOOOOOp)(OOOOOOOOOp)O(OOOO)(OOOO)(OOOO)dddddi:verify",
                          &mo[0][0], &mo[0][1], &mo[0][2], &mo[0][3], &mo[0][4], &mo[0][5],
                          &mo[0][6], &mo[0][7], &mo[0][8], &canon[0], &mo[1][0], &mo[1][1],
                          &mo[1][2], &mo[1][3], &mo[1][4], &mo[1][5], &mo[1][6], &mo[1][7],
                          &mo[1][8], &canon[1], &vm_obj, &ho[0][0], &ho[0][1], &ho[1][0],
                          &ho[1][1], &ho[2][0], &ho[2][1], &ho[3][0], &ho[3][1], &ho[4][0],
                          &ho[4][1], &ho[5][0], &ho[5][1], &sense[0], &sense[1], &off[0],
                          &off[1], &tol, &ties))
        return NULL;
    Model M[2];
    memset(M, 0, sizeof M);
    Buf vm;
    memset(&vm, 0, sizeof vm);
    /* pairs ref, pairs cand, dups ref (row, side), dups ref (rep row, side), dups cand ... */
    Half H[6];
    memset(H, 0, sizeof H);
    Rows R, C;
    memset(&R, 0, sizeof R);
    memset(&C, 0, sizeof C);
    unsigned char *seen = NULL;
    int64_t *count = NULL;
    double *ra = NULL, *buf = NULL;
    Entry *tmp = NULL;
    PyObject *result = NULL;
    int decline = 0, r;
    int code = FAIL_OK;
    long long ia = 0, ib = 0;
    double x = 0.0, y = 0.0;

#define STEP(call)                                                                            \
    do {                                                                                      \
        r = (call);                                                                           \
        if (r) {                                                                              \
            decline = r > 0;                                                                  \
            goto done;                                                                        \
        }                                                                                     \
    } while (0)

    for (int w = 0; w < 2; w++) STEP(model_get(&M[w], mo[w], canon[w]));
    const Py_ssize_t n = M[0].n;
    STEP(buf_get(&vm, vm_obj, 'i'));
    if (M[1].n != n || vm.n != n) {
        code = FAIL_VARS; /* (the caller checks this first) */
        goto report;
    }
    for (int h = 0; h < 6; h++) STEP(half_get(&H[h], ho[h][0], ho[h][1], &M[h == 0 || h == 2 || h == 3 ? 0 : 1]));
    if (H[0].n != H[1].n || H[2].n != H[3].n || H[4].n != H[5].n) {
        decline = 1;
        goto done;
    }

    /* the bijection */
    count = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int64_t));
    if (!count) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        int64_t t = iat(&vm, j);
        if (t < 0 || t >= n) {
            code = FAIL_BIJECTION;
            goto report;
        }
        count[t]++;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        if (count[j] != 1) {
            code = FAIL_BIJECTION;
            goto report;
        }
    }
    /* types */
    for (Py_ssize_t j = 0; j < n; j++) {
        if (M[0].integer[j] != M[1].integer[iat(&vm, j)]) {
            code = FAIL_TYPE;
            ia = j;
            goto report;
        }
    }
    /* effective bounds */
    STEP(effective(&M[0], ties));
    STEP(effective(&M[1], ties));
    if (M[0].infeasible != M[1].infeasible) {
        code = FAIL_INFEASIBLE;
        goto report;
    }
    /* lower bounds, upper bounds, costs (the first failure in that order) */
    for (int what = 0; what < 3; what++) {
        for (Py_ssize_t j = 0; j < n; j++) {
            int64_t t = iat(&vm, j);
            double a, b;
            if (what == 0) {
                a = M[0].lb[j];
                b = M[1].lb[t];
            } else if (what == 1) {
                a = M[0].ub[j];
                b = M[1].ub[t];
            } else {
                a = M[0].c[j] * sense[0];
                b = M[1].c[t] * sense[1];
            }
            if (!close_to(a, b, tol)) {
                code = FAIL_BOUND;
                ia = what;
                ib = j;
                x = a;
                y = b;
                goto report;
            }
        }
    }
    if (!close_to(off[0], off[1], tol)) {
        code = FAIL_OFFSET;
        goto report;
    }

    /* scratch for the rows: the longest row's entries, and the compared rows' maxima */
    Py_ssize_t longest = 1, most = 1;
    for (int w = 0; w < 2; w++) {
        const Buf *P = &M[w].b[M_PTR];
        for (Py_ssize_t i = 0; i < M[w].m; i++) {
            Py_ssize_t k = (Py_ssize_t)(iat(P, i + 1) - iat(P, i));
            if (k > longest) longest = k;
        }
    }
    for (int h = 0; h < 6; h++)
        if (H[h].n > most) most = H[h].n;
    tmp = PyMem_Malloc((size_t)longest * sizeof(Entry));
    buf = PyMem_Malloc((size_t)longest * sizeof(double));
    ra = PyMem_Malloc((size_t)most * sizeof(double));
    if (!tmp || !buf || !ra) {
        PyErr_NoMemory();
        goto done;
    }

    /* coverage: every half-row (of a row with two entries or more) paired or a checked
     * duplicate; the lowest code 3 * row + side + 1 not covered is reported */
    for (int w = 0; w < 2; w++) {
        const Model *m = &M[w];
        const Half *pairs = &H[w], *dup = &H[2 + 2 * w], *rep = &H[3 + 2 * w];
        PyMem_Free(seen);
        seen = PyMem_Calloc((size_t)(3 * m->m + 3), 1);
        if (!seen) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t k = 0; k < pairs->n; k++)
            seen[3 * iat(&pairs->row, k) + iat(&pairs->side, k) + 1] = 1;
        for (Py_ssize_t k = 0; k < dup->n; k++)
            seen[3 * iat(&dup->row, k) + iat(&dup->side, k) + 1] = 1;
        const Buf *P = &m->b[M_PTR];
        for (Py_ssize_t i = 0; i < m->m; i++) {
            if (iat(P, i + 1) - iat(P, i) < 2) continue;
            double lo = m->lo[i], hi = m->hi[i];
            int eq = isfinite(lo) && isfinite(hi) &&
                     hi - lo <= 1e-12 * np_maximum(1.0, np_maximum(fabs(lo), fabs(hi)));
            int64_t miss = -1;
            if (!eq && isfinite(lo) && !seen[3 * i]) miss = 3 * i;
            else if (eq && !seen[3 * i + 1]) miss = 3 * i + 1;
            else if (!eq && isfinite(hi) && !seen[3 * i + 2]) miss = 3 * i + 2;
            if (miss >= 0) {
                code = FAIL_COVER;
                ia = w;
                ib = miss;
                goto report;
            }
        }
        if (dup->n) {
            STEP(rows_make(&R, m, dup, NULL, tmp));
            STEP(rows_make(&C, m, rep, NULL, tmp));
            Py_ssize_t k = proportional(&R, &C, dup, tol, ra, buf);
            int sides_differ = 0;
            for (Py_ssize_t t = 0; t < dup->n && !sides_differ; t++)
                sides_differ = (iat(&dup->side, t) == 0) != (iat(&rep->side, t) == 0);
            rows_free(&R);
            rows_free(&C);
            if (k >= 0 || sides_differ) {
                code = FAIL_DUP;
                ia = w;
                ib = iat(&dup->row, k > 0 ? k : 0);
                goto report;
            }
        }
    }
    /* paired sides: an equality with an equality */
    for (Py_ssize_t k = 0; k < H[0].n; k++) {
        if ((iat(&H[0].side, k) == 0) != (iat(&H[1].side, k) == 0)) {
            code = FAIL_SIDE;
            ia = iat(&H[0].row, k);
            goto report;
        }
    }
    /* the paired rows, the reference's columns renamed */
    STEP(rows_make(&R, &M[0], &H[0], &vm, tmp));
    STEP(rows_make(&C, &M[1], &H[1], NULL, tmp));
    {
        Py_ssize_t k = proportional(&R, &C, &H[0], tol, ra, buf);
        if (k >= 0) {
            code = FAIL_ROW;
            ia = iat(&H[0].row, k);
            ib = iat(&H[1].row, k);
        }
    }

report:
    result = Py_BuildValue("(iLLdd)", code, ia, ib, x, y);
done:
#undef STEP
    for (int w = 0; w < 2; w++) model_release(&M[w]);
    if (vm.held) PyBuffer_Release(&vm.v);
    for (int h = 0; h < 6; h++) half_release(&H[h]);
    rows_free(&R);
    rows_free(&C);
    PyMem_Free(seen);
    PyMem_Free(count);
    PyMem_Free(ra);
    PyMem_Free(buf);
    PyMem_Free(tmp);
    if (decline && !result && !PyErr_Occurred()) Py_RETURN_NONE;
    return result;
}

static PyMethodDef methods[] = {
    {"verify", verify, METH_VARARGS,
     "verify(ref, cand, var_map, pairs, dups_ref, dups_cand, sense_ref, sense_cand, "
     "offset_ref, offset_cand, tol, zero_ties) -> (code, a, b, x, y) | None: "
     "_certify._verify_mapping_arrays's first failure (see verify/_certify.py, "
     "_verify_mapping_compiled); None when the caller should run the numpy code."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_certifyc", "The re-verification of a mapping, compiled.", -1,
    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__certifyc(void) { return PyModule_Create(&module); }
