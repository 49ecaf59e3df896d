/* optiscribe.verify._graphc: label_pair's tolerance-mode arrays, compiled.
 *
 * Two functions, each returning a tuple, or None where the caller should run the numpy
 * code of verify/_canon.py:
 *
 * joint(cost, lb, ub, offset, indptr, data, rhs, scale  [model a],
 *       cost, lb, ub, offset, indptr, data, rhs, scale  [model b], rtol, zero_tol)
 *     -> (u, cl, ids): what _Numbers.joint computes on the numbers label_pair pools
 *     (costs, lower and upper bounds, offset, the coefficients each divided by its row's
 *     scale, the right-hand sides divided by it; model a, then model b): the sorted
 *     distinct magnitudes u that are finite and above zero_tol, their single-linkage
 *     clusters cl (a new cluster where u[i] - u[i-1] > rtol * u[i]) and the signed id of
 *     every number (0 at or below zero_tol and for NaN, +-inf_id for +-inf).
 *
 * graph(ids, base, n, indptr, indices, is_eq, side, scale, orig_row, integer,
 *       kind_le, kind_eq, kind_eq_pm)
 *     -> (var_label, kind, rhs, indptr, indices, coef, orig, side, factor, dup_orig,
 *         dup_side, dup_node, offset_id, n_sym, n_neg, n_dup): what _build_graph_arrays
 *     computes with its ids given (one model's ids start at ids[base]): the
 *     equalities oriented (a negative rhs id turns the row; a zero one is turned by the
 *     largest magnitude whose +/- counts differ; none: the row is sign-symmetric and gets a
 *     negated copy after all rows), rows equal in kind, rhs id and (column, coefficient
 *     id) sequence dropped but for the first, and the counts the caller writes its steps
 *     from (the texts stay in Python).
 *
 * The same values, bit for bit: the divisions and the gap test are the same IEEE
 * operations numpy does (no fused multiply-add: contraction is off: verify/_npbuf.h; no excess
 * precision: FLT_EVAL_METHOD must be 0 or this file does not build), factor * orient is a
 * multiplication (not a negation, which differs on a NaN's sign) and the negated copies'
 * factors a negation, as in numpy. Equal rows are found with a hash table whose hits are
 * compared exactly (the hash only decides which rows are compared), which gives numpy's
 * classes (np.unique's first occurrence of each is the first row of each class here).
 *
 * None on any input that is not float64 / bool / int8 / int32-or-int64 as expected and
 * C-contiguous, inconsistent sizes or offsets, ids out of range, a negative column, or
 * columns and ids so large that the numpy code's packed row tokens could overflow.
 * Every allocation is bounded by the input sizes.
 *
 * Built with the limited API (one wheel per platform for every CPython >= 3.11).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_npbuf.h"

static PyObject *dt_f8, *dt_i8; /* numpy dtypes */

/* ------------------------------------------------------------------ input buffers */

typedef struct {
    Py_buffer b;
    int held;
} In;

/* a 1-D C-contiguous buffer of the wanted kind ('i': int32 or int64); 0 ok, 1 decline */
static int in_get(In *in, PyObject *obj, char want) {
    if (PyObject_GetBuffer(obj, &in->b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 1;
    }
    in->held = 1;
    char k = kind_of(&in->b);
    if (in->b.ndim != 1) return 1;
    if (want == 'i') return !(k == '4' || k == '8');
    return k != want;
}

static void in_release(In *in, int n) {
    for (int k = 0; k < n; k++)
        if (in[k].held) PyBuffer_Release(&in[k].b);
}

static inline Py_ssize_t in_len(const In *in) { return in->b.shape[0]; }

static inline int64_t int_at(const In *in, Py_ssize_t i) {
    return in->b.itemsize == 8 ? ((const int64_t *)in->b.buf)[i]
                               : (int64_t)((const int32_t *)in->b.buf)[i];
}

/* indptr of m rows over nnz entries: starts at 0, never decreases, ends at nnz */
static int ptr_ok(const In *ptr, Py_ssize_t m, Py_ssize_t nnz) {
    if (in_len(ptr) != m + 1 || int_at(ptr, 0) != 0) return 0;
    int64_t prev = 0;
    for (Py_ssize_t i = 1; i <= m; i++) {
        int64_t x = int_at(ptr, i);
        if (x < prev || x > (int64_t)nnz) return 0;
        prev = x;
    }
    return prev == (int64_t)nnz;
}

/* ------------------------------------------------------------------ helpers */

static inline uint64_t mix64(uint64_t x) { /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}

/* the smallest power of two >= 2 * n (at least 16): a hash table's size */
static Py_ssize_t table_size(Py_ssize_t n) {
    Py_ssize_t s = 16;
    while (s < 2 * n) s <<= 1;
    return s;
}

/* sort x[0..n) ascending (LSD radix, bytes that are the same in every key skipped);
 * tmp: n words of scratch */
static void sort_u64(uint64_t *x, uint64_t *tmp, Py_ssize_t n) {
    if (n < 2) return;
    if (n <= 24) { /* insertion sort */
        for (Py_ssize_t i = 1; i < n; i++) {
            uint64_t v = x[i];
            Py_ssize_t j = i;
            while (j > 0 && x[j - 1] > v) {
                x[j] = x[j - 1];
                j--;
            }
            x[j] = v;
        }
        return;
    }
    Py_ssize_t cnt[8][256];
    memset(cnt, 0, sizeof cnt);
    for (Py_ssize_t i = 0; i < n; i++)
        for (int d = 0; d < 8; d++) cnt[d][(x[i] >> (8 * d)) & 255]++;
    uint64_t *src = x, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        if (cnt[d][(x[0] >> (8 * d)) & 255] == n) continue; /* one value: nothing to do */
        Py_ssize_t pos[256], s = 0;
        for (int b = 0; b < 256; b++) {
            pos[b] = s;
            s += cnt[d][b];
        }
        for (Py_ssize_t i = 0; i < n; i++) dst[pos[(src[i] >> (8 * d)) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != x) memcpy(x, src, (size_t)n * sizeof(uint64_t));
}

/* ------------------------------------------------------------------ joint */

enum { J_COST, J_LB, J_UB, J_PTR, J_DATA, J_RHS, J_SCALE, J_N };

static PyObject *joint(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *obj[2][J_N];
    double offset[2], rtol, zero_tol;
    In in[2 * J_N];
    memset(in, 0, sizeof in);
    Out out[3];
    memset(out, 0, sizeof out);
    double *val = NULL;
    uint64_t *dist = NULL, *srt = NULL, *tmp = NULL;
    Py_ssize_t *table = NULL, *dix = NULL;
    PyObject *result = NULL;
    int decline = 0;
    if (!PyArg_ParseTuple(args, "OOOdOOOOOOOdOOOOdd:joint", &obj[0][J_COST], &obj[0][J_LB],
                          &obj[0][J_UB], &offset[0], &obj[0][J_PTR], &obj[0][J_DATA],
                          &obj[0][J_RHS], &obj[0][J_SCALE], &obj[1][J_COST], &obj[1][J_LB],
                          &obj[1][J_UB], &offset[1], &obj[1][J_PTR], &obj[1][J_DATA],
                          &obj[1][J_RHS], &obj[1][J_SCALE], &rtol, &zero_tol))
        return NULL;
    static const char want[J_N] = {'f', 'f', 'f', 'i', 'f', 'f', 'f'};
    Py_ssize_t total = 0;
    for (int g = 0; g < 2; g++) {
        In *x = in + g * J_N;
        for (int k = 0; k < J_N; k++)
            if (in_get(&x[k], obj[g][k], want[k])) {
                decline = 1;
                goto done;
            }
        Py_ssize_t n = in_len(&x[J_COST]), m = in_len(&x[J_RHS]), nnz = in_len(&x[J_DATA]);
        if (in_len(&x[J_LB]) != n || in_len(&x[J_UB]) != n || in_len(&x[J_SCALE]) != m ||
            !ptr_ok(&x[J_PTR], m, nnz)) {
            decline = 1;
            goto done;
        }
        total += 3 * n + 1 + nnz + m;
    }

    /* the numbers, in label_pair's order (the divisions of _scaled_values) */
    val = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(double));
    dix = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(Py_ssize_t));
    if (!val || !dix) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t q = 0;
    for (int g = 0; g < 2; g++) {
        const In *x = in + g * J_N;
        Py_ssize_t n = in_len(&x[J_COST]), m = in_len(&x[J_RHS]);
        memcpy(val + q, x[J_COST].b.buf, (size_t)n * sizeof(double));
        memcpy(val + q + n, x[J_LB].b.buf, (size_t)n * sizeof(double));
        memcpy(val + q + 2 * n, x[J_UB].b.buf, (size_t)n * sizeof(double));
        q += 3 * n;
        val[q++] = offset[g];
        const double *data = x[J_DATA].b.buf, *rhs = x[J_RHS].b.buf, *scale = x[J_SCALE].b.buf;
        for (Py_ssize_t i = 0; i < m; i++) {
            int64_t a = int_at(&x[J_PTR], i), b = int_at(&x[J_PTR], i + 1);
            double s = scale[i];
            for (int64_t k = a; k < b; k++) val[q++] = data[k] / s;
        }
        for (Py_ssize_t i = 0; i < m; i++) val[q++] = rhs[i] / scale[i];
    }

    /* the distinct finite magnitudes above zero_tol, in the order met: a hash table on
     * their bits (their index in dist), grown as they come, so that it stays small where
     * many numbers share few values */
    Py_ssize_t tsize = 64, nd = 0;
    int shift = 64 - 6;
    const size_t total1 = (size_t)(total ? total : 1);
    table = PyMem_Malloc((size_t)tsize * sizeof(Py_ssize_t));
    dist = PyMem_Malloc(total1 * sizeof(uint64_t));
    srt = PyMem_Malloc(total1 * sizeof(uint64_t));
    tmp = PyMem_Malloc(total1 * sizeof(uint64_t));
    if (!table || !dist || !srt || !tmp) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t s = 0; s < tsize; s++) table[s] = -1;
    for (Py_ssize_t k = 0; k < total; k++) {
        double mag = fabs(val[k]);
        dix[k] = -1;
        if (!(mag > zero_tol && mag < INFINITY)) continue; /* NaN fails both */
        uint64_t bits;
        memcpy(&bits, &mag, 8);
        Py_ssize_t s = (Py_ssize_t)((bits * 0x9E3779B97F4A7C15ULL) >> shift);
        while (table[s] >= 0 && dist[table[s]] != bits) s = (s + 1) & (tsize - 1);
        if (table[s] < 0) {
            if (2 * (nd + 1) > tsize) { /* half full: twice the size, all entered again */
                PyMem_Free(table);
                tsize *= 2;
                shift--;
                table = PyMem_Malloc((size_t)tsize * sizeof(Py_ssize_t));
                if (!table) {
                    PyErr_NoMemory();
                    goto done;
                }
                for (Py_ssize_t t = 0; t < tsize; t++) table[t] = -1;
                for (Py_ssize_t d = 0; d < nd; d++) {
                    Py_ssize_t t = (Py_ssize_t)((dist[d] * 0x9E3779B97F4A7C15ULL) >> shift);
                    while (table[t] >= 0) t = (t + 1) & (tsize - 1);
                    table[t] = d;
                }
                s = (Py_ssize_t)((bits * 0x9E3779B97F4A7C15ULL) >> shift);
                while (table[s] >= 0) s = (s + 1) & (tsize - 1);
            }
            table[s] = nd;
            dist[nd++] = bits;
        }
        dix[k] = table[s];
    }
    /* sorted (positive doubles sort as their bits); rank[d]: the place of dist[d] */
    memcpy(srt, dist, (size_t)nd * sizeof(uint64_t));
    sort_u64(srt, tmp, nd);
    uint64_t *rank = tmp; /* (the sort's scratch, free again) */
    for (Py_ssize_t i = 0; i < nd; i++) {
        Py_ssize_t s = (Py_ssize_t)((srt[i] * 0x9E3779B97F4A7C15ULL) >> shift);
        while (dist[table[s]] != srt[i]) s = (s + 1) & (tsize - 1);
        rank[table[s]] = (uint64_t)i;
    }

    if (out_new(&out[0], nd, 0, dt_f8) < 0 || out_new(&out[1], nd, 0, dt_i8) < 0 ||
        out_new(&out[2], total, 0, dt_i8) < 0)
        goto done;
    double *u = out[0].view.buf;
    int64_t *cl = out[1].view.buf, *ids = out[2].view.buf;
    for (Py_ssize_t i = 0; i < nd; i++) memcpy(&u[i], &srt[i], 8);
    int64_t c = 0;
    for (Py_ssize_t i = 0; i < nd; i++) {
        if (i && (u[i] - u[i - 1]) > rtol * u[i]) c++;
        cl[i] = c;
    }
    const int64_t inf_id = nd ? c + 2 : 1;
    for (Py_ssize_t k = 0; k < total; k++) {
        double v = val[k];
        int64_t id = dix[k] >= 0 ? cl[rank[dix[k]]] + 1 : fabs(v) == INFINITY ? inf_id : 0;
        ids[k] = v < 0 ? -id : id;
    }
    result = Py_BuildValue("(OOO)", out[0].obj, out[1].obj, out[2].obj);

done:
    out_release(out, 3);
    in_release(in, 2 * J_N);
    PyMem_Free(val);
    PyMem_Free(dix);
    PyMem_Free(table);
    PyMem_Free(dist);
    PyMem_Free(srt);
    PyMem_Free(tmp);
    if (decline && !result && !PyErr_Occurred()) Py_RETURN_NONE;
    return result;
}

/* ------------------------------------------------------------------ graph */

enum { G_IDS, G_PTR, G_IND, G_ISEQ, G_SIDE, G_SCALE, G_ORIG, G_INT, G_N };
enum {
    O_VAR, O_KIND, O_RHS, O_PTR, O_IND, O_COEF, O_ORIG, O_SIDE, O_FACTOR, O_DORIG, O_DSIDE,
    O_DNODE, N_OUT
};

/* the work rows (the half-rows, then the negated copies) */
typedef struct {
    int64_t *start, *len, *rid, *kind, *orig, *side;
    double *factor;
    int64_t *ind, *cid; /* arcs */
} Rows;

static int rows_equal(const Rows *r, Py_ssize_t a, Py_ssize_t b) {
    if (r->kind[a] != r->kind[b] || r->rid[a] != r->rid[b] || r->len[a] != r->len[b]) return 0;
    const int64_t *ia = r->ind + r->start[a], *ib = r->ind + r->start[b];
    const int64_t *ca = r->cid + r->start[a], *cb = r->cid + r->start[b];
    for (int64_t k = 0; k < r->len[a]; k++)
        if (ia[k] != ib[k] || ca[k] != cb[k]) return 0;
    return 1;
}

static uint64_t row_hash(const Rows *r, Py_ssize_t i) {
    uint64_t h = mix64((uint64_t)r->kind[i] * 0x9E3779B97F4A7C15ULL ^ (uint64_t)r->rid[i]);
    h = mix64(h ^ (uint64_t)r->len[i]);
    const int64_t *ind = r->ind + r->start[i], *cid = r->cid + r->start[i];
    for (int64_t k = 0; k < r->len[i]; k++) /* (one multiplication per arc, mixed at the end) */
        h = (h + (uint64_t)ind[k] * 0xC2B2AE3D27D4EB4FULL + (uint64_t)cid[k]) * 0x9E3779B97F4A7C15ULL;
    return mix64(h);
}

static PyObject *graph(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *obj[G_N];
    Py_ssize_t base, n;
    long long kind_le, kind_eq, kind_pm;
    In in[G_N];
    memset(in, 0, sizeof in);
    Out out[N_OUT];
    memset(out, 0, sizeof out);
    int64_t *orient = NULL, *kind0 = NULL;
    char *w = NULL;
    uint64_t *keys = NULL, *tmp = NULL;
    Py_ssize_t *table = NULL, *rep = NULL;
    PyObject *result = NULL;
    int decline = 0;
    if (!PyArg_ParseTuple(args, "OnnOOOOOOOLLL:graph", &obj[G_IDS], &base, &n, &obj[G_PTR],
                          &obj[G_IND], &obj[G_ISEQ], &obj[G_SIDE], &obj[G_SCALE], &obj[G_ORIG],
                          &obj[G_INT], &kind_le, &kind_eq, &kind_pm))
        return NULL;
    static const char want[G_N] = {'8', 'i', 'i', '?', 'b', 'f', '8', '?'};
    for (int k = 0; k < G_N; k++)
        if (in_get(&in[k], obj[k], want[k])) {
            decline = 1;
            goto done;
        }
    const Py_ssize_t m = in_len(&in[G_ISEQ]), nnz = in_len(&in[G_IND]);
    const Py_ssize_t n_ids = in_len(&in[G_IDS]);
    if (in_len(&in[G_SIDE]) != m || in_len(&in[G_SCALE]) != m || in_len(&in[G_ORIG]) != m ||
        in_len(&in[G_INT]) != n || n < 0 || base < 0 || !ptr_ok(&in[G_PTR], m, nnz) ||
        base > n_ids || n_ids - base < 3 * n + 1 + nnz + m) {
        decline = 1;
        goto done;
    }
    const int64_t *ids = (const int64_t *)in[G_IDS].b.buf + base;
    const int64_t *cid0 = ids + 3 * n + 1, *rid0 = cid0 + nnz;
    const unsigned char *is_eq = in[G_ISEQ].b.buf, *integer = in[G_INT].b.buf;
    const int8_t *side = in[G_SIDE].b.buf;
    const double *scale = in[G_SCALE].b.buf;
    const int64_t *orig = in[G_ORIG].b.buf;
    const In *P = &in[G_PTR], *I = &in[G_IND];

    /* the numpy code packs (column, id) into one int64 token (column * span + id +
     * span // 2, span = 2 * max |id| + 3): declined where that could overflow, or a
     * column is negative */
    int64_t max_id = 0, max_col = -1;
    for (Py_ssize_t k = 0; k < nnz + m; k++) {
        int64_t a = cid0[k] < 0 ? -cid0[k] : cid0[k];
        if (cid0[k] == INT64_MIN || a > ((int64_t)1 << 40)) {
            decline = 1;
            goto done;
        }
        if (a > max_id) max_id = a;
    }
    for (Py_ssize_t k = 0; k < nnz; k++) {
        int64_t j = int_at(I, k);
        if (j < 0) {
            decline = 1;
            goto done;
        }
        if (j > max_col) max_col = j;
    }
    if ((max_col + 1) > ((int64_t)1 << 62) / (2 * max_id + 3)) {
        decline = 1;
        goto done;
    }

    /* orientation (the rule of _build_graph_arrays, row by row) */
    orient = PyMem_Malloc((size_t)(m ? m : 1) * sizeof(int64_t));
    kind0 = PyMem_Malloc((size_t)(m ? m : 1) * sizeof(int64_t));
    if (!orient || !kind0) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n_sym = 0, n_neg = 0, nnz_pm = 0;
    Py_ssize_t longest = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        Py_ssize_t len = (Py_ssize_t)(int_at(P, i + 1) - int_at(P, i));
        if (len > longest) longest = len;
    }
    keys = PyMem_Malloc((size_t)(longest ? longest : 1) * sizeof(uint64_t));
    tmp = PyMem_Malloc((size_t)(longest ? longest : 1) * sizeof(uint64_t));
    if (!keys || !tmp) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        orient[i] = 1;
        kind0[i] = is_eq[i] ? kind_eq : kind_le;
        if (!is_eq[i] || rid0[i] > 0) continue;
        if (rid0[i] < 0) {
            orient[i] = -1;
            continue;
        }
        /* rhs id 0: the largest magnitude whose +/- counts differ decides */
        int64_t a = int_at(P, i), b = int_at(P, i + 1), top = -1, net = 0;
        for (int64_t k = a; k < b; k++) { /* the largest magnitude first (the usual case) */
            int64_t c = cid0[k], mg = c < 0 ? -c : c;
            if (mg > top) {
                top = mg;
                net = 0;
            }
            if (mg == top) net += (c > 0) - (c < 0);
        }
        if (net == 0 && b > a) { /* the others: sorted by magnitude, from the top */
            Py_ssize_t len = (Py_ssize_t)(b - a);
            for (int64_t k = a; k < b; k++) {
                int64_t c = cid0[k], mg = c < 0 ? -c : c;
                keys[k - a] = ((uint64_t)mg << 2) | (uint64_t)((c > 0) - (c < 0) + 1);
            }
            sort_u64(keys, tmp, len);
            for (Py_ssize_t e = len; e > 0 && net == 0;) {
                uint64_t mg = keys[e - 1] >> 2;
                for (; e > 0 && keys[e - 1] >> 2 == mg; e--) net += (int64_t)(keys[e - 1] & 3) - 1;
            }
        }
        if (net) {
            orient[i] = net > 0 ? 1 : -1;
        } else {
            kind0[i] = kind_pm;
            n_sym++;
            nnz_pm += (Py_ssize_t)(b - a);
        }
    }
    for (Py_ssize_t i = 0; i < m; i++) n_neg += orient[i] < 0;

    /* the work rows: the half-rows oriented, then the sign-symmetric ones negated */
    const Py_ssize_t nr = m + n_sym, na = nnz + nnz_pm;
    const size_t nr1 = (size_t)(nr ? nr : 1), na1 = (size_t)(na ? na : 1);
    w = PyMem_Malloc(nr1 * 7 * sizeof(int64_t) + na1 * 2 * sizeof(int64_t));
    if (!w) {
        PyErr_NoMemory();
        goto done;
    }
    Rows R;
    R.start = (int64_t *)w;
    R.len = R.start + nr1;
    R.rid = R.len + nr1;
    R.kind = R.rid + nr1;
    R.orig = R.kind + nr1;
    R.side = R.orig + nr1;
    R.factor = (double *)(R.side + nr1);
    R.ind = (int64_t *)(R.factor + nr1);
    R.cid = R.ind + na1;
    const double minus_one = MINUS_ONE, plus_one = PLUS_ONE;
    Py_ssize_t r = 0, q = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (Py_ssize_t i = 0; i < m; i++) {
            if (pass == 1 && kind0[i] != kind_pm) continue;
            int64_t a = int_at(P, i), b = int_at(P, i + 1);
            const int64_t o = orient[i], s = pass ? -1 : 1;
            double f = ((side[i] < 0 ? -1.0 : 1.0) / scale[i]) * (o < 0 ? minus_one : plus_one);
            R.start[r] = q;
            R.len[r] = b - a;
            R.rid[r] = s * (rid0[i] * o);
            R.kind[r] = kind0[i];
            R.orig[r] = orig[i];
            R.side[r] = side[i];
            R.factor[r] = pass ? -f : f;
            for (int64_t k = a; k < b; k++, q++) {
                R.ind[q] = int_at(I, k);
                R.cid[q] = s * (cid0[k] * o);
            }
            r++;
        }
    }

    /* duplicate rows: the first of each class is kept (a hash table, hits compared) */
    Py_ssize_t n_dup = 0, tsize = table_size(nr);
    table = PyMem_Malloc((size_t)tsize * sizeof(Py_ssize_t));
    rep = PyMem_Malloc(nr1 * sizeof(Py_ssize_t)); /* kept: its new index; dropped: -1 - it */
    if (!table || !rep) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t s = 0; s < tsize; s++) table[s] = -1;
    Py_ssize_t kept = 0, kept_arcs = 0;
    for (Py_ssize_t i = 0; i < nr; i++) {
        Py_ssize_t s = (Py_ssize_t)(row_hash(&R, i) & (uint64_t)(tsize - 1));
        while (table[s] >= 0 && !rows_equal(&R, table[s], i)) s = (s + 1) & (tsize - 1);
        if (table[s] < 0) {
            table[s] = i;
            rep[i] = kept++;
            kept_arcs += R.len[i];
        } else {
            rep[i] = -1 - rep[table[s]];
            n_dup++;
        }
    }

    /* the outputs */
    PyObject *dts[N_OUT] = {dt_i8, dt_i8, dt_i8, dt_i8, dt_i8, dt_i8,
                            dt_i8, dt_i8, dt_f8, dt_i8, dt_i8, dt_i8};
    Py_ssize_t sizes[N_OUT] = {n,    kept, kept, kept + 1, kept_arcs, kept_arcs,
                               kept, kept, kept, n_dup,    n_dup,     n_dup};
    for (int k = 0; k < N_OUT; k++)
        if (out_new(&out[k], sizes[k], k == O_VAR ? 4 : 0, dts[k]) < 0) goto done;
    int64_t *var = out[O_VAR].view.buf;
    for (Py_ssize_t j = 0; j < n; j++) {
        var[4 * j] = ids[j];
        var[4 * j + 1] = integer[j] != 0;
        var[4 * j + 2] = ids[n + j];
        var[4 * j + 3] = ids[2 * n + j];
    }
    int64_t *o_kind = out[O_KIND].view.buf, *o_rhs = out[O_RHS].view.buf;
    int64_t *o_ptr = out[O_PTR].view.buf, *o_ind = out[O_IND].view.buf;
    int64_t *o_cid = out[O_COEF].view.buf, *o_orig = out[O_ORIG].view.buf;
    int64_t *o_side = out[O_SIDE].view.buf, *d_orig = out[O_DORIG].view.buf;
    int64_t *d_side = out[O_DSIDE].view.buf, *d_node = out[O_DNODE].view.buf;
    double *o_factor = out[O_FACTOR].view.buf;
    Py_ssize_t h = 0, d = 0;
    q = 0;
    o_ptr[0] = 0;
    for (Py_ssize_t i = 0; i < nr; i++) {
        if (rep[i] < 0) {
            d_orig[d] = R.orig[i];
            d_side[d] = R.side[i];
            d_node[d++] = -1 - rep[i];
            continue;
        }
        o_kind[h] = R.kind[i];
        o_rhs[h] = R.rid[i];
        o_orig[h] = R.orig[i];
        o_side[h] = R.side[i];
        o_factor[h] = R.factor[i];
        memcpy(o_ind + q, R.ind + R.start[i], (size_t)R.len[i] * sizeof(int64_t));
        memcpy(o_cid + q, R.cid + R.start[i], (size_t)R.len[i] * sizeof(int64_t));
        q += R.len[i];
        o_ptr[++h] = q;
    }
    result = Py_BuildValue("(OOOOOOOOOOOOLnnn)", out[O_VAR].obj, out[O_KIND].obj,
                           out[O_RHS].obj, out[O_PTR].obj, out[O_IND].obj, out[O_COEF].obj,
                           out[O_ORIG].obj, out[O_SIDE].obj, out[O_FACTOR].obj,
                           out[O_DORIG].obj, out[O_DSIDE].obj, out[O_DNODE].obj,
                           (long long)ids[3 * n], n_sym, n_neg, n_dup);

done:
    out_release(out, N_OUT);
    in_release(in, G_N);
    PyMem_Free(orient);
    PyMem_Free(kind0);
    PyMem_Free(w);
    PyMem_Free(keys);
    PyMem_Free(tmp);
    PyMem_Free(table);
    PyMem_Free(rep);
    if (decline && !result && !PyErr_Occurred()) Py_RETURN_NONE;
    return result;
}

static PyMethodDef methods[] = {
    {"joint", joint, METH_VARARGS,
     "joint(cost, lb, ub, offset, indptr, data, rhs, scale, <the same of model b>, rtol, "
     "zero_tol) -> (u, cl, ids) | None: _Numbers.joint on label_pair's numbers (see "
     "verify/_canon.py, _label_pair_compiled); None when the caller should run the numpy "
     "code."},
    {"graph", graph, METH_VARARGS,
     "graph(ids, base, n, indptr, indices, is_eq, side, scale, orig_row, integer, kind_le, "
     "kind_eq, kind_eq_pm) -> tuple | None: _build_graph_arrays's arrays and counts (see "
     "verify/_canon.py, _build_graph_compiled); None when the caller should run the numpy "
     "code."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_graphc", "label_pair's tolerance-mode arrays, compiled.", -1,
    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__graphc(void) {
    static const char *const names[] = {"float64", "int64"};
    PyObject *dts[2];
    if (npbuf_init(names, dts, 2) < 0) return NULL;
    dt_f8 = dts[0];
    dt_i8 = dts[1];
    return PyModule_Create(&module);
}
