/* optiscribe.verify._refinec: the union and the fast path of colour refinement, compiled.
 *
 * Three functions of verify/_refine.py, each in one call instead of tens of numpy calls on
 * arrays of a few hundred elements (the fixed cost that dominated the 101-1000 nonzero
 * pairs): refine_hash (below), is_equitable (the exact check: the initial colour constant
 * on every cell and every node's sorted multiset of (neighbour colour, edge label) equal
 * to its cell's first node's on its side, cells of at most two nodes skipped with
 * skip_pairs) and build_union (_build_union_arrays's arrays: the initial colours as the
 * dense ranks of the lexicographic (cost, integer flag != 0, lb, ub) of the variables and,
 * after them, of (kind, rhs) of the rows; the row side's arcs with the labels less the
 * smallest, wrapping as numpy's int64 subtraction does; the variable side's grouped by
 * variable stably, as a stable argsort or scipy's CSR-to-CSC conversion groups them).
 * Each returns None, and the caller runs the numpy code, on an input it does not take.
 *
 * refine_hash(...) -> tuple | None runs, in one call, the loop verify/_refine.py's
 * refine runs on numpy arrays for unions above SMALL_REFINE_NODES: _iterate driving
 * _half_round_hash on both update sides (rows from variables, then variables from rows),
 * histograms_equal after every split, the stop rules (histograms differ, stable,
 * discrete with stop_when_discrete, max_half_rounds) and the collision test, and gives
 * what _iterate gives: the colours (None where they are still the input array, as
 * _iterate then returns its input), the half-rounds, the colour count, diverged and
 * collided. The same values, operation for operation:
 *
 *   - the arc weights are _edge_weights's, mix(w * K2 + HASH_SEED) | 1 of every edge
 *     label w (the variable side's are the row side's at var_arc, or of var_w without it);
 *   - a node's hash is mix(sum over its arcs of ctab[colour of the neighbour] * weight
 *     + otab[its colour]) in wrap-around uint64 arithmetic (the order of the sum does not
 *     matter modulo 2**64, so it equals numpy's prefix-sum differences); ctab and otab are
 *     _colour_tables's, passed in (one copy of them);
 *   - the new colours are numpy's dense_rank of (the other nodes' colours, then this
 *     side's rank of its hash among the distinct hashes, ascending as unsigned, plus k):
 *     the other nodes' colours ranked among themselves, this side's after them;
 *   - a collision is two old colours that get one hash (the half-round returns None).
 *
 * mix is the splitmix64 finaliser of _ranks._mix; with splitmix false it is x & mask
 * instead (degenerate mixers for the tests, which swap the same ones into the numpy code
 * to force collisions).
 *
 * It returns None, and the caller runs the numpy code, on anything else: an array that is
 * not 1-D C-contiguous int64 (uint64 for the tables), inconsistent lengths, a node, arc
 * or neighbour out of range, a node twice in one side, a negative edge label, a colour
 * outside the tables or tables shorter than the node count. Memory is bounded by the
 * input sizes. So refinement is the same with or without this module
 * (tests/verify/test_refinec.py holds the two to each other).
 *
 * Built with the limited API (one wheel per platform for every CPython >= 3.11).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_bufletter.h"

static PyObject *np_empty; /* numpy.empty */
static PyObject *dt_i8;    /* numpy int64 */

/* ------------------------------------------------------------------ buffers */

/* 'i': 8-byte signed integers, 'u': 8-byte unsigned, 0 anything else */
static char kind_of(const Py_buffer *b) {
    if (b->itemsize != 8) return 0;
    switch (buffer_letter(b)) {
    case 'l':
    case 'q':
        return 'i';
    case 'L':
    case 'Q':
        return 'u';
    default:
        return 0;
    }
}

typedef struct {
    Py_buffer v;
    int held;
} In;

/* 0: got a 1-D contiguous buffer of the kind; 1: decline; -1: error set */
static int in_get(In *in, PyObject *obj, char kind) {
    if (PyObject_GetBuffer(obj, &in->v, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 1;
    }
    in->held = 1;
    if (in->v.ndim != 1 || kind_of(&in->v) != kind) return 1;
    return 0;
}

static void in_release(In *in) {
    if (in->held) PyBuffer_Release(&in->v);
    in->held = 0;
}

static inline Py_ssize_t in_len(const In *in) { return in->v.shape[0]; }

/* ------------------------------------------------------------------ hashing */

typedef struct {
    int splitmix;
    uint64_t mask;
} Mixer;

static inline uint64_t mix(const Mixer *m, uint64_t x) {
    if (!m->splitmix) return x & m->mask;
    x ^= x >> 30;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 27;
    x *= UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* sort keys[0..m) ascending (as unsigned) carrying idx along: LSD radix, 8 bits a pass,
 * on the low `bytes` bytes (the others equal), passes where every key has the same digit
 * skipped; tk/ti scratch of m each */
static void radix_sort(uint64_t *keys, int64_t *idx, uint64_t *tk, int64_t *ti, Py_ssize_t m,
                       int bytes) {
    Py_ssize_t cnt[8][256];
    memset(cnt, 0, sizeof cnt);
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t k = keys[i];
        for (int d = 0; d < bytes; d++) cnt[d][(k >> (8 * d)) & 255]++;
    }
    for (int d = 0; d < bytes; d++) {
        Py_ssize_t *c = cnt[d];
        if (c[(keys[0] >> (8 * d)) & 255] == m) continue; /* one digit value: no move */
        Py_ssize_t sum = 0;
        for (int b = 0; b < 256; b++) {
            Py_ssize_t x = c[b];
            c[b] = sum;
            sum += x;
        }
        for (Py_ssize_t i = 0; i < m; i++) {
            Py_ssize_t p = c[(keys[i] >> (8 * d)) & 255]++;
            tk[p] = keys[i];
            ti[p] = idx[i];
        }
        memcpy(keys, tk, (size_t)m * sizeof *keys);
        memcpy(idx, ti, (size_t)m * sizeof *idx);
    }
}

/* the same order: one counting pass on the top `bits` bits (into tk/ti), then each bucket
 * sorted on its own (insertion up to 32 keys, else radix_sort on the low bytes), and back;
 * `bucket` scratch of 2**bits + 1. Well-mixed hashes spread evenly, so this is about two
 * passes; degenerate ones fall into few buckets and are radix-sorted there. */
static void sort_hashes(uint64_t *keys, int64_t *idx, uint64_t *tk, int64_t *ti, Py_ssize_t m,
                        int bits, Py_ssize_t *bucket) {
    const Py_ssize_t nb = (Py_ssize_t)1 << bits;
    const int shift = 64 - bits;
    memset(bucket, 0, (size_t)(nb + 1) * sizeof *bucket);
    for (Py_ssize_t i = 0; i < m; i++) bucket[(keys[i] >> shift) + 1]++;
    for (Py_ssize_t b = 0; b < nb; b++) bucket[b + 1] += bucket[b];
    for (Py_ssize_t i = 0; i < m; i++) {
        Py_ssize_t p = bucket[keys[i] >> shift]++;
        tk[p] = keys[i];
        ti[p] = idx[i];
    }
    /* bucket[b] is now the end of bucket b (the start of b + 1) */
    Py_ssize_t lo = 0;
    for (Py_ssize_t b = 0; b < nb; b++) {
        Py_ssize_t hi = bucket[b], len = hi - lo;
        uint64_t *k = tk + lo;
        int64_t *x = ti + lo;
        if (len <= 32) {
            for (Py_ssize_t i = 1; i < len; i++) {
                uint64_t kv = k[i];
                int64_t xv = x[i];
                Py_ssize_t j = i;
                while (j > 0 && k[j - 1] > kv) {
                    k[j] = k[j - 1];
                    x[j] = x[j - 1];
                    j--;
                }
                k[j] = kv;
                x[j] = xv;
            }
        } else {
            radix_sort(k, x, keys + lo, idx + lo, len, (shift + 7) / 8);
        }
        lo = hi;
    }
    memcpy(keys, tk, (size_t)m * sizeof *keys);
    memcpy(idx, ti, (size_t)m * sizeof *idx);
}

/* one update side: its nodes, each node's arcs [start, start + deg) into dst, and the
 * odd weight of every arc */
typedef struct {
    const int64_t *nodes, *dst, *start, *deg;
    uint64_t *wh;
    Py_ssize_t m, arcs;
    unsigned char bit; /* this side's bit in the membership marks */
} Side;

typedef struct {
    Py_ssize_t n, cut, T;
    const uint64_t *ctab, *otab;
    Mixer mx;
    unsigned char *mark;   /* n: bit 1 in the row side, bit 2 in the variable side */
    int64_t *pres;         /* presence table / ranks, kcap long */
    int64_t *hist;         /* histogram difference, kcap long */
    Py_ssize_t kcap;
    uint64_t *h, *tk;      /* mmax each */
    int64_t *idx, *ti;     /* mmax each */
    Py_ssize_t *bucket;    /* 2**bits + 1 */
    int bits;              /* the top bits sort_hashes buckets by */
} Work;

/* histograms_equal: every colour below k as often among [0, cut) as among [cut, n) */
static int same_hist(Work *w, const int64_t *col, Py_ssize_t k) {
    memset(w->hist, 0, (size_t)k * sizeof *w->hist);
    for (Py_ssize_t v = 0; v < w->cut; v++) w->hist[col[v]]++;
    for (Py_ssize_t v = w->cut; v < w->n; v++) w->hist[col[v]]--;
    for (Py_ssize_t c = 0; c < k; c++)
        if (w->hist[c]) return 0;
    return 1;
}

/* _half_round_hash of side s from col (all below k) into out; returns the new colour
 * count, or -1 on a detected collision. A side without nodes is handled by the caller. */
static Py_ssize_t half_round(Work *w, const Side *s, const int64_t *col, Py_ssize_t k,
                             int64_t *out) {
    const Py_ssize_t m = s->m;
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t acc = 0;
        const int64_t a0 = s->start[i], a1 = a0 + s->deg[i];
        for (int64_t a = a0; a < a1; a++) acc += w->ctab[col[s->dst[a]]] * s->wh[a];
        acc += w->otab[col[s->nodes[i]]];
        w->h[i] = mix(&w->mx, acc);
        w->idx[i] = i;
    }
    sort_hashes(w->h, w->idx, w->tk, w->ti, m, w->bits, w->bucket);
    /* the distinct hashes' ranks, into tk (as integers); one old colour per hash */
    Py_ssize_t r = 0;
    for (Py_ssize_t p = 0; p < m; p++) {
        if (p && w->h[p] != w->h[p - 1]) r++;
        else if (p && col[s->nodes[w->idx[p]]] != col[s->nodes[w->idx[p - 1]]])
            return -1; /* two old colours merged: a detected collision */
        w->tk[w->idx[p]] = (uint64_t)r;
    }
    const Py_ssize_t R = r + 1;
    /* the other nodes' colours, dense-ranked among themselves */
    memset(w->pres, 0, (size_t)k * sizeof *w->pres);
    for (Py_ssize_t v = 0; v < w->n; v++)
        if (!(w->mark[v] & s->bit)) w->pres[col[v]] = 1;
    Py_ssize_t P = 0;
    for (Py_ssize_t c = 0; c < k; c++) {
        int64_t x = w->pres[c];
        w->pres[c] = P;
        P += x;
    }
    for (Py_ssize_t v = 0; v < w->n; v++)
        if (!(w->mark[v] & s->bit)) out[v] = w->pres[col[v]];
    for (Py_ssize_t i = 0; i < m; i++) out[s->nodes[i]] = P + (int64_t)w->tk[i];
    return P + R;
}

/* ------------------------------------------------------------------ refine_hash */

enum {
    A_COL, A_RNODES, A_RDST, A_RSTART, A_RDEG, A_RW,
    A_VNODES, A_VDST, A_VSTART, A_VDEG, A_VW, A_VARC, A_CTAB, A_OTAB, N_A
};

/* side: check the arrays, mark the nodes, and compute the weights; 0 ok, 1 decline */
static int side_init(Work *w, Side *s, In *nodes, In *dst, In *start, In *deg, uint64_t *wh) {
    s->m = in_len(nodes);
    s->arcs = in_len(dst);
    s->nodes = nodes->v.buf;
    s->dst = dst->v.buf;
    s->start = start->v.buf;
    s->deg = deg->v.buf;
    s->wh = wh;
    if (in_len(start) != s->m || in_len(deg) != s->m) return 1;
    for (Py_ssize_t i = 0; i < s->m; i++) {
        int64_t v = s->nodes[i], a = s->start[i], d = s->deg[i];
        if (v < 0 || v >= w->n || (w->mark[v] & s->bit)) return 1;
        w->mark[v] |= s->bit;
        if (a < 0 || d < 0 || a > s->arcs || d > s->arcs - a) return 1;
    }
    for (Py_ssize_t a = 0; a < s->arcs; a++)
        if (s->dst[a] < 0 || s->dst[a] >= w->n) return 1;
    return 0;
}

static inline uint64_t edge_weight(const Mixer *mx, int64_t label, uint64_t k2, uint64_t seed) {
    return mix(mx, (uint64_t)label * k2 + seed) | 1;
}

static PyObject *refine_hash(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *obj[N_A];
    In in[N_A];
    memset(in, 0, sizeof in);
    Py_ssize_t cut, max_half;
    int stop_discrete, splitmix;
    unsigned long long mask, k2, seed;
    if (!PyArg_ParseTuple(args, "OnOOOOOOOOOOOOOnppKKK:refine_hash", &obj[A_COL], &cut,
                          &obj[A_RNODES], &obj[A_RDST], &obj[A_RSTART], &obj[A_RDEG],
                          &obj[A_RW], &obj[A_VNODES], &obj[A_VDST], &obj[A_VSTART],
                          &obj[A_VDEG], &obj[A_VW], &obj[A_VARC], &obj[A_CTAB], &obj[A_OTAB],
                          &max_half, &stop_discrete, &splitmix, &mask, &k2, &seed))
        return NULL;
    Work w;
    memset(&w, 0, sizeof w);
    uint64_t *wh = NULL;
    int64_t *bufs = NULL;
    PyObject *outobj = NULL, *result = NULL;
    Py_buffer outv;
    int out_held = 0, decline = 0;
    int have_arc = obj[A_VARC] != Py_None;
    for (int a = 0; a < N_A; a++) {
        if (a == A_VARC && !have_arc) continue;
        int rc = in_get(&in[a], obj[a], a == A_CTAB || a == A_OTAB ? 'u' : 'i');
        if (rc) {
            decline = 1;
            goto done;
        }
    }
    const Py_ssize_t n = in_len(&in[A_COL]);
    w.n = n;
    w.cut = cut;
    w.T = in_len(&in[A_CTAB]) < in_len(&in[A_OTAB]) ? in_len(&in[A_CTAB]) : in_len(&in[A_OTAB]);
    w.ctab = in[A_CTAB].v.buf;
    w.otab = in[A_OTAB].v.buf;
    w.mx.splitmix = splitmix;
    w.mx.mask = mask;
    if (n == 0 || cut < 0 || cut > n || w.T < n || in_len(&in[A_RW]) != in_len(&in[A_RDST]) ||
        in_len(&in[A_VW]) != in_len(&in[A_VDST]) ||
        (have_arc && in_len(&in[A_VARC]) != in_len(&in[A_VDST]))) {
        decline = 1;
        goto done;
    }
    const int64_t *col0 = in[A_COL].v.buf;
    int64_t cmax = 0;
    for (Py_ssize_t v = 0; v < n; v++) {
        if (col0[v] < 0 || col0[v] >= w.T) {
            decline = 1;
            goto done;
        }
        if (col0[v] > cmax) cmax = col0[v];
    }
    const Py_ssize_t ra = in_len(&in[A_RDST]), va = in_len(&in[A_VDST]);
    const Py_ssize_t rm = in_len(&in[A_RNODES]), vm = in_len(&in[A_VNODES]);
    const Py_ssize_t mmax = rm > vm ? rm : vm;
    w.kcap = (Py_ssize_t)cmax + 1 > n ? (Py_ssize_t)cmax + 1 : n;
    w.mark = PyMem_Calloc((size_t)n, 1);
    wh = PyMem_Malloc(((size_t)ra + (size_t)va + 1) * sizeof *wh);
    /* cur, nxt (n each), pres, hist (kcap each), idx, ti (mmax each), h, tk (mmax each) */
    bufs = PyMem_Malloc(((size_t)2 * n + 2 * (size_t)w.kcap + 4 * (size_t)mmax + 1) * 8);
    w.bits = 8;
    while (w.bits < 16 && ((Py_ssize_t)4 << w.bits) < mmax) w.bits++;
    w.bucket = PyMem_Malloc((((size_t)1 << w.bits) + 1) * sizeof *w.bucket);
    if (!w.mark || !wh || !bufs || !w.bucket) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t *cur = bufs, *nxt = bufs + n;
    w.pres = nxt + n;
    w.hist = w.pres + w.kcap;
    w.idx = w.hist + w.kcap;
    w.ti = w.idx + mmax;
    w.h = (uint64_t *)(w.ti + mmax);
    w.tk = w.h + mmax;

    /* the weights: the row side's from row_w; the variable side's from row_w at var_arc
     * (as _hash_weights takes them), or from var_w */
    const int64_t *rw = in[A_RW].v.buf, *vw = in[A_VW].v.buf;
    for (Py_ssize_t a = 0; a < ra; a++) {
        if (rw[a] < 0) {
            decline = 1;
            goto done;
        }
        wh[a] = edge_weight(&w.mx, rw[a], k2, seed);
    }
    for (Py_ssize_t a = 0; a < va; a++) {
        if (have_arc) {
            int64_t j = ((const int64_t *)in[A_VARC].v.buf)[a];
            if (j < 0 || j >= ra) {
                decline = 1;
                goto done;
            }
            wh[ra + a] = wh[j];
        } else {
            if (vw[a] < 0) {
                decline = 1;
                goto done;
            }
            wh[ra + a] = edge_weight(&w.mx, vw[a], k2, seed);
        }
    }
    Side sides[2];
    sides[0].bit = 1;
    sides[1].bit = 2;
    if (side_init(&w, &sides[0], &in[A_RNODES], &in[A_RDST], &in[A_RSTART], &in[A_RDEG], wh) ||
        side_init(&w, &sides[1], &in[A_VNODES], &in[A_VDST], &in[A_VSTART], &in[A_VDEG],
                  wh + ra)) {
        decline = 1;
        goto done;
    }

    /* _iterate */
    const int64_t *col = col0; /* the input until a half-round makes new colours */
    Py_ssize_t k = (Py_ssize_t)cmax + 1, half = 0;
    int side = 0, diverged = 0, collided = 0;
    if (!same_hist(&w, col, k)) {
        diverged = 1;
    } else {
        while (half < max_half) {
            if (stop_discrete && k * 2 == n) break;
            Py_ssize_t k_new;
            if (sides[side].m == 0) {
                k_new = k; /* no nodes: the colours as they are (the same array) */
            } else {
                int64_t *dst = col == cur ? nxt : cur;
                k_new = half_round(&w, &sides[side], col, k, dst);
                if (k_new < 0) {
                    collided = 1;
                    break;
                }
                col = dst;
            }
            half++;
            side ^= 1;
            if (k_new == k) {
                if (half >= 2) break;
                continue;
            }
            k = k_new;
            if (!same_hist(&w, col, k)) {
                diverged = 1;
                break;
            }
        }
    }
    PyObject *colours = Py_None;
    if (col != col0) {
        outobj = PyObject_CallFunction(np_empty, "nO", n, dt_i8);
        if (!outobj) goto done;
        if (PyObject_GetBuffer(outobj, &outv, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) goto done;
        out_held = 1;
        memcpy(outv.buf, col, (size_t)n * sizeof *col);
        colours = outobj;
    }
    result = Py_BuildValue("(Onnii)", colours, half, k, diverged, collided);

done:
    if (out_held) PyBuffer_Release(&outv);
    Py_XDECREF(outobj);
    for (int a = 0; a < N_A; a++) in_release(&in[a]);
    PyMem_Free(w.mark);
    PyMem_Free(w.bucket);
    PyMem_Free(wh);
    PyMem_Free(bufs);
    if (decline && !result && !PyErr_Occurred()) Py_RETURN_NONE;
    return result;
}

/* ------------------------------------------------------------------ is_equitable */

typedef struct {
    int64_t c, w;
} Pair;

static int cmp_pair(const void *a, const void *b) {
    const Pair *x = a, *y = b;
    if (x->c != y->c) return x->c < y->c ? -1 : 1;
    return (x->w > y->w) - (x->w < y->w);
}

/* sort p[0..d) lexicographically: insertion sort for short segments, else qsort */
static void sort_pairs(Pair *p, Py_ssize_t d) {
    if (d > 16) {
        qsort(p, (size_t)d, sizeof *p, cmp_pair);
        return;
    }
    for (Py_ssize_t i = 1; i < d; i++) {
        Pair x = p[i];
        Py_ssize_t j = i;
        while (j > 0 && cmp_pair(&p[j - 1], &x) > 0) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = x;
    }
}

enum {
    E_COL, E_INIT, E_RNODES, E_RDEG, E_RDST, E_RW, E_RSTART, E_VNODES, E_VDEG, E_VDST, E_VW,
    E_VSTART, N_E
};

static PyObject *is_equitable(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *obj[N_E];
    In in[N_E];
    memset(in, 0, sizeof in);
    int skip_pairs;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOp:is_equitable", &obj[0], &obj[1], &obj[2], &obj[3],
                          &obj[4], &obj[5], &obj[6], &obj[7], &obj[8], &obj[9], &obj[10],
                          &obj[11], &skip_pairs))
        return NULL;
    int64_t *rep = NULL, *cnt = NULL;
    Pair *keys = NULL;
    int decline = 0, ok = 1, err = 0;
    for (int a = 0; a < N_E; a++)
        if (in_get(&in[a], obj[a], 'i')) {
            decline = 1;
            goto done;
        }
    const Py_ssize_t n = in_len(&in[E_COL]);
    const int64_t *col = in[E_COL].v.buf, *init = in[E_INIT].v.buf;
    if (n == 0) goto done; /* True, whatever the union */
    if (in_len(&in[E_INIT]) != n) {
        decline = 1;
        goto done;
    }
    int64_t cmax = 0;
    for (Py_ssize_t v = 0; v < n; v++) {
        if (col[v] < 0 || col[v] >= n) { /* (refinement's colours are below n) */
            decline = 1;
            goto done;
        }
        cmax = col[v] > cmax ? col[v] : cmax;
    }
    const Py_ssize_t k = (Py_ssize_t)cmax + 1;
    /* one representative node per cell (per side below); the cell sizes */
    rep = PyMem_Malloc((size_t)k * sizeof *rep);
    cnt = PyMem_Calloc((size_t)k, sizeof *cnt);
    const Py_ssize_t arcs = in_len(&in[E_RDST]) > in_len(&in[E_VDST]) ? in_len(&in[E_RDST])
                                                                       : in_len(&in[E_VDST]);
    keys = PyMem_Malloc(((size_t)arcs + 1) * sizeof *keys);
    if (!rep || !cnt || !keys) {
        err = 1;
        PyErr_NoMemory();
        goto done;
    }
    /* the initial colour constant on every cell */
    for (Py_ssize_t c = 0; c < k; c++) rep[c] = -1;
    for (Py_ssize_t v = 0; v < n; v++) {
        int64_t c = col[v];
        cnt[c]++;
        if (rep[c] < 0) rep[c] = v;
        else if (init[rep[c]] != init[v]) ok = 0;
    }
    if (!ok) goto done;
    for (int s = 0; s < 2 && ok; s++) {
        In *b = &in[s ? E_VNODES : E_RNODES];
        const int64_t *nodes = b[0].v.buf, *deg = b[1].v.buf, *dst = b[2].v.buf, *w = b[3].v.buf;
        const int64_t *start = b[4].v.buf;
        const Py_ssize_t m = in_len(&b[0]), na = in_len(&b[2]);
        /* the arcs: node after node, each node's from its start (as the cached seg has them) */
        if (in_len(&b[1]) != m || in_len(&b[3]) != na || in_len(&b[4]) != m) {
            decline = 1;
            goto done;
        }
        Py_ssize_t acc = 0;
        for (Py_ssize_t i = 0; i < m; i++) {
            if (nodes[i] < 0 || nodes[i] >= n || deg[i] < 0 || start[i] != acc ||
                deg[i] > na - acc) {
                decline = 1;
                goto done;
            }
            acc += deg[i];
        }
        if (acc != na) {
            decline = 1;
            goto done;
        }
        for (Py_ssize_t a = 0; a < na; a++)
            if (dst[a] < 0 || dst[a] >= n || w[a] < 0) {
                decline = 1; /* (numpy packs the labels as non-negative) */
                goto done;
            }
        /* each node's multiset of (neighbour colour, label), sorted */
        for (Py_ssize_t i = 0; i < m; i++) {
            if (skip_pairs && cnt[col[nodes[i]]] <= 2) continue;
            for (int64_t a = start[i]; a < start[i] + deg[i]; a++) {
                keys[a].c = col[dst[a]];
                keys[a].w = w[a];
            }
            sort_pairs(keys + start[i], deg[i]);
        }
        /* every node's equal to its cell's first node's on this side */
        for (Py_ssize_t c = 0; c < k; c++) rep[c] = -1;
        for (Py_ssize_t i = 0; i < m && ok; i++) {
            int64_t c = col[nodes[i]];
            if (skip_pairs && cnt[c] <= 2) continue;
            if (rep[c] < 0) {
                rep[c] = i;
                continue;
            }
            int64_t r = rep[c];
            if (deg[r] != deg[i] ||
                (deg[i] && memcmp(keys + start[r], keys + start[i],
                                  (size_t)deg[i] * sizeof *keys) != 0))
                ok = 0;
        }
    }

done:
    for (int a = 0; a < N_E; a++) in_release(&in[a]);
    PyMem_Free(rep);
    PyMem_Free(cnt);
    PyMem_Free(keys);
    if (err) return NULL;
    if (decline) Py_RETURN_NONE;
    return PyBool_FromLong(ok);
}

/* ------------------------------------------------------------------ build_union */

/* a 2-D C-contiguous int64 buffer of `cols` columns: 0 ok, 1 decline */
static int in_get2(In *in, PyObject *obj, Py_ssize_t cols) {
    if (PyObject_GetBuffer(obj, &in->v, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 1;
    }
    in->held = 1;
    if (in->v.ndim != 2 || in->v.shape[1] != cols || kind_of(&in->v) != 'i') return 1;
    return 0;
}

static const int64_t *sort_base; /* the values qsort's comparator reads (GIL held) */
static Py_ssize_t sort_stride;

static int cmp_at(const void *a, const void *b) {
    int64_t x = sort_base[*(const int64_t *)a * sort_stride];
    int64_t y = sort_base[*(const int64_t *)b * sort_stride];
    return (x > y) - (x < y);
}

/* dense_rank of x[i * stride], i < N, into r (ranks 0.. in sorted order of the values);
 * scratch of N + 1 int64 at least (and of the value range when that is small). Returns
 * the number of distinct values, -1 when out of memory. */
static Py_ssize_t rank_col(const int64_t *x, Py_ssize_t stride, Py_ssize_t N, int64_t *r) {
    if (N == 0) return 0;
    int64_t lo = x[0], hi = x[0];
    for (Py_ssize_t i = 1; i < N; i++) {
        int64_t v = x[i * stride];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    uint64_t range = (uint64_t)hi - (uint64_t)lo; /* exact: hi >= lo */
    Py_ssize_t R;
    if (range < (uint64_t)16 * (uint64_t)N + 4096) {
        int64_t *pres = PyMem_Calloc((size_t)range + 1, sizeof *pres);
        if (!pres) return -1;
        for (Py_ssize_t i = 0; i < N; i++) pres[(uint64_t)x[i * stride] - (uint64_t)lo] = 1;
        R = 0;
        for (uint64_t c = 0; c <= range; c++) {
            int64_t p = pres[c];
            pres[c] = R;
            R += p;
        }
        for (Py_ssize_t i = 0; i < N; i++) r[i] = pres[(uint64_t)x[i * stride] - (uint64_t)lo];
        PyMem_Free(pres);
        return R;
    }
    int64_t *idx = PyMem_Malloc((size_t)N * sizeof *idx);
    if (!idx) return -1;
    for (Py_ssize_t i = 0; i < N; i++) idx[i] = i;
    sort_base = x;
    sort_stride = stride;
    qsort(idx, (size_t)N, sizeof *idx, cmp_at);
    R = 0;
    for (Py_ssize_t p = 0; p < N; p++) {
        if (p && x[idx[p] * stride] != x[idx[p - 1] * stride]) R++;
        r[idx[p]] = R;
    }
    PyMem_Free(idx);
    return R + 1;
}

/* the dense ranks of the tuples (c[0][i], ..., c[nc-1][i]) in lexicographic order, each
 * c[j] already dense-ranked with R[j] values: stable counting sorts from the last column
 * to the first, then one scan; out gets the ranks, returns their number (-1: no memory) */
static Py_ssize_t rank_tuples(int64_t *const *c, const Py_ssize_t *R, int nc, Py_ssize_t N,
                              int64_t *out) {
    if (N == 0) return 0;
    Py_ssize_t rmax = 0;
    for (int j = 0; j < nc; j++) rmax = R[j] > rmax ? R[j] : rmax;
    int64_t *a = PyMem_Malloc((size_t)N * sizeof *a), *b = PyMem_Malloc((size_t)N * sizeof *b);
    int64_t *cnt = PyMem_Malloc(((size_t)rmax + 1) * sizeof *cnt);
    if (!a || !b || !cnt) {
        PyMem_Free(a);
        PyMem_Free(b);
        PyMem_Free(cnt);
        return -1;
    }
    for (Py_ssize_t i = 0; i < N; i++) a[i] = i;
    for (int j = nc - 1; j >= 0; j--) {
        const int64_t *key = c[j];
        memset(cnt, 0, ((size_t)R[j] + 1) * sizeof *cnt);
        for (Py_ssize_t i = 0; i < N; i++) cnt[key[i] + 1]++;
        for (Py_ssize_t v = 0; v < R[j]; v++) cnt[v + 1] += cnt[v];
        for (Py_ssize_t p = 0; p < N; p++) b[cnt[key[a[p]]]++] = a[p];
        int64_t *t = a;
        a = b;
        b = t;
    }
    Py_ssize_t K = 0;
    for (Py_ssize_t p = 0; p < N; p++) {
        if (p) {
            int differ = 0;
            for (int j = 0; j < nc && !differ; j++) differ = c[j][a[p]] != c[j][a[p - 1]];
            K += differ;
        }
        out[a[p]] = K;
    }
    PyMem_Free(a);
    PyMem_Free(b);
    PyMem_Free(cnt);
    return K + 1;
}

enum { G_LABEL, G_KIND, G_RHS, G_PTR, G_IND, G_COEF, N_G };
enum {
    U_INIT, U_RNODES, U_RDEG, U_RDST, U_RW, U_VNODES, U_VDEG, U_VDST, U_VW, U_PTR,
    U_VSTART, U_VARC, N_U
};

static PyObject *build_union(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *obj[2][N_G];
    In in[2][N_G];
    memset(in, 0, sizeof in);
    PyObject *outobj[N_U] = {NULL};
    Py_buffer outv[N_U];
    int out_held[N_U] = {0};
    int64_t *scratch = NULL;
    PyObject *result = NULL;
    int decline = 0;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOO:build_union", &obj[0][0], &obj[0][1], &obj[0][2],
                          &obj[0][3], &obj[0][4], &obj[0][5], &obj[1][0], &obj[1][1],
                          &obj[1][2], &obj[1][3], &obj[1][4], &obj[1][5]))
        return NULL;
    Py_ssize_t nv[2], nr[2], na[2];
    for (int g = 0; g < 2; g++) {
        for (int a = 0; a < N_G; a++) {
            if (a == G_LABEL ? in_get2(&in[g][a], obj[g][a], 4) : in_get(&in[g][a], obj[g][a], 'i')) {
                decline = 1;
                goto done;
            }
        }
        nv[g] = in[g][G_LABEL].v.shape[0];
        nr[g] = in_len(&in[g][G_KIND]);
        na[g] = in_len(&in[g][G_IND]);
        const int64_t *ptr = in[g][G_PTR].v.buf, *ind = in[g][G_IND].v.buf;
        const int64_t *kind = in[g][G_KIND].v.buf;
        if (in_len(&in[g][G_RHS]) != nr[g] || in_len(&in[g][G_PTR]) != nr[g] + 1 ||
            in_len(&in[g][G_COEF]) != na[g] || ptr[0] != 0 || ptr[nr[g]] != na[g]) {
            decline = 1;
            goto done;
        }
        for (Py_ssize_t i = 0; i < nr[g]; i++)
            if (ptr[i + 1] < ptr[i] || kind[i] < 0) {
                decline = 1;
                goto done;
            }
        for (Py_ssize_t a = 0; a < na[g]; a++)
            if (ind[a] < 0 || ind[a] >= nv[g]) {
                decline = 1;
                goto done;
            }
    }
    const Py_ssize_t oa_r = nv[0], ob_v = nv[0] + nr[0], ob_r = ob_v + nv[1], n = ob_r + nr[1];
    const Py_ssize_t NV = nv[0] + nv[1], NR = nr[0] + nr[1], NA = na[0] + na[1];
    Py_ssize_t sizes[N_U] = {n, NR, NR, NA, NA, NV, NV, NA, NA, NR + 1, NV, NA};
    for (int k = 0; k < N_U; k++) {
        outobj[k] = PyObject_CallFunction(np_empty, "nO", sizes[k], dt_i8);
        if (!outobj[k]) goto done;
        if (PyObject_GetBuffer(outobj[k], &outv[k], PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
            goto done;
        out_held[k] = 1;
    }
    int64_t *o[N_U];
    for (int k = 0; k < N_U; k++) o[k] = outv[k].buf;
    /* scratch: 6 columns of max(NV, NR) (var: c0, flag, c2, c3 and the tuple ranks; rows:
     * kind, rhs and theirs), and the var degrees' running positions (NV) */
    const Py_ssize_t W = NV > NR ? NV : NR;
    scratch = PyMem_Malloc(((size_t)7 * (size_t)W + 1) * sizeof *scratch);
    if (!scratch) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t *col[4] = {scratch, scratch + W, scratch + 2 * W, scratch + 3 * W};
    int64_t *key = scratch + 4 * W, *tmp = scratch + 5 * W, *fill = scratch + 6 * W;

    /* initial colours: variables by the lexicographic (cost, integer, lb, ub) (the
     * integer flag as != 0), rows by (kind, rhs) after all of them */
    Py_ssize_t R[4];
    for (int j = 0; j < 4; j++) {
        for (int g = 0; g < 2; g++) {
            const int64_t *lab = in[g][G_LABEL].v.buf;
            int64_t *dst = (j == 1 ? col[j] : tmp) + (g ? nv[0] : 0);
            for (Py_ssize_t i = 0; i < nv[g]; i++) dst[i] = j == 1 ? lab[i * 4 + 1] != 0 : lab[i * 4 + j];
        }
        if (j == 1) {
            R[1] = 2;
        } else if ((R[j] = rank_col(tmp, 1, NV, col[j])) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    Py_ssize_t nvc = rank_tuples(col, R, 4, NV, key);
    if (nvc < 0) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t *init = o[U_INIT];
    for (Py_ssize_t i = 0; i < nv[0]; i++) init[i] = key[i];
    for (Py_ssize_t i = 0; i < nv[1]; i++) init[ob_v + i] = key[nv[0] + i];
    for (int j = 0; j < 2; j++)
        for (int g = 0; g < 2; g++) {
            const int64_t *src = in[g][j ? G_RHS : G_KIND].v.buf;
            memcpy(tmp + (g ? nr[0] : 0), src, (size_t)nr[g] * sizeof *tmp);
            if (g) {
                if ((R[j] = rank_col(tmp, 1, NR, col[j])) < 0) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
        }
    if (rank_tuples(col, R, 2, NR, key) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nr[0]; i++) init[oa_r + i] = key[i] + nvc;
    for (Py_ssize_t i = 0; i < nr[1]; i++) init[ob_r + i] = key[nr[0] + i] + nvc;

    /* the row side: nodes, degrees, first arcs, neighbours, labels less the smallest */
    int64_t wshift = 0;
    for (int g = 0, first = 1; g < 2; g++) {
        const int64_t *coef = in[g][G_COEF].v.buf;
        for (Py_ssize_t a = 0; a < na[g]; a++, first = 0)
            wshift = first || coef[a] < wshift ? coef[a] : wshift;
    }
    int64_t *rptr = o[U_PTR];
    rptr[0] = 0;
    for (int g = 0; g < 2; g++) {
        const int64_t *ptr = in[g][G_PTR].v.buf, *ind = in[g][G_IND].v.buf;
        const int64_t *coef = in[g][G_COEF].v.buf;
        const Py_ssize_t r0 = g ? nr[0] : 0, a0 = g ? na[0] : 0, base = g ? ob_r : oa_r;
        for (Py_ssize_t i = 0; i < nr[g]; i++) {
            o[U_RNODES][r0 + i] = base + i;
            o[U_RDEG][r0 + i] = ptr[i + 1] - ptr[i];
            rptr[r0 + i + 1] = a0 + ptr[i + 1];
        }
        for (Py_ssize_t a = 0; a < na[g]; a++) {
            o[U_RDST][a0 + a] = ind[a] + (g ? ob_v : 0);
            /* numpy's wrap-around subtraction */
            o[U_RW][a0 + a] = (int64_t)((uint64_t)coef[a] - (uint64_t)wshift);
        }
    }
    /* the variable side: arcs grouped by variable node, stably (a counting sort) */
    int64_t *vdeg = o[U_VDEG], *vstart = o[U_VSTART];
    for (Py_ssize_t v = 0; v < NV; v++) {
        o[U_VNODES][v] = v < nv[0] ? v : ob_v + (v - nv[0]);
        vdeg[v] = 0;
    }
    /* the variable position of a variable node: A's are 0..nv[0]-1, B's follow */
#define VPOS(d) ((d) < ob_v ? (d) : (d) - ob_v + nv[0])
    for (Py_ssize_t a = 0; a < NA; a++) vdeg[VPOS(o[U_RDST][a])]++;
    Py_ssize_t acc = 0;
    for (Py_ssize_t v = 0; v < NV; v++) {
        vstart[v] = acc;
        fill[v] = acc;
        acc += vdeg[v];
    }
    for (Py_ssize_t r = 0, a = 0; r < NR; r++)
        for (int64_t e = 0; e < o[U_RDEG][r]; e++, a++) {
            int64_t p = fill[VPOS(o[U_RDST][a])]++;
            o[U_VARC][p] = a;
            o[U_VDST][p] = o[U_RNODES][r];
            o[U_VW][p] = o[U_RW][a];
        }
#undef VPOS
    result = PyTuple_New(N_U);
    if (!result) goto done;
    for (int k = 0; k < N_U; k++) {
        Py_INCREF(outobj[k]);
        PyTuple_SetItem(result, k, outobj[k]);
    }

done:
    for (int k = 0; k < N_U; k++) {
        if (out_held[k]) PyBuffer_Release(&outv[k]);
        Py_XDECREF(outobj[k]);
    }
    for (int g = 0; g < 2; g++)
        for (int a = 0; a < N_G; a++) in_release(&in[g][a]);
    PyMem_Free(scratch);
    if (decline && !result && !PyErr_Occurred()) Py_RETURN_NONE;
    return result;
}

static PyMethodDef methods[] = {
    {"refine_hash", refine_hash, METH_VARARGS,
     "refine_hash(colours, cut, row_nodes, row_dst, row_start, row_deg, row_w, var_nodes, "
     "var_dst, var_start, var_deg, var_w, var_arc, ctab, otab, max_half_rounds, "
     "stop_when_discrete, splitmix, mask, k2, seed) -> (colours | None, half_rounds, k, "
     "diverged, collided) | None: _refine._iterate with _half_round_hash (see "
     "verify/_refine.py, _hash_compiled); None when the caller should run the numpy code."},
    {"is_equitable", is_equitable, METH_VARARGS,
     "is_equitable(colours, init, row_nodes, row_deg, row_dst, row_w, row_start, var_nodes, "
     "var_deg, var_dst, var_w, var_start, skip_pairs) -> bool | None: _refine.is_equitable "
     "(see verify/_refine.py); None when the caller should run the numpy code."},
    {"build_union", build_union, METH_VARARGS,
     "build_union(a_var_label, a_row_kind, a_row_rhs, a_indptr, a_indices, a_coef, b_var_label, "
     "...) -> (init, row_nodes, row_deg, row_dst, row_w, var_nodes, var_deg, var_dst, var_w, "
     "indptr, var_start, var_arc) | None: _refine._build_union_arrays's arrays (see "
     "verify/_refine.py, _build_union_compiled); None when the caller should run the numpy "
     "code."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_refinec", "The union and the fast path of colour refinement, compiled.", -1,
    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__refinec(void) {
    PyObject *np = PyImport_ImportModule("numpy");
    if (!np) return NULL;
    np_empty = PyObject_GetAttrString(np, "empty");
    PyObject *dtype = PyObject_GetAttrString(np, "dtype");
    Py_DECREF(np);
    if (!np_empty || !dtype) {
        Py_XDECREF(dtype);
        return NULL;
    }
    dt_i8 = PyObject_CallFunction(dtype, "s", "int64");
    Py_DECREF(dtype);
    if (!dt_i8) return NULL;
    return PyModule_Create(&module);
}
