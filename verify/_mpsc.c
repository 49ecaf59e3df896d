/* optiscribe.verify._mpsc: the native MPS reader's reading, compiled.
 *
 * One function, parse(raw: bytes) -> tuple | None. It reads exactly what the Python list
 * reader (verify/_mps.py, _parse_tiny) reads and gives the same model, number for number
 * (values, signs of zeros, names), in one pass over the bytes; on anything that reader
 * would refuse, and on anything this one does not handle, it returns None and the caller
 * runs the Python reader, which then reads or refuses the file as before. So a file is
 * never read differently with or without this module: it only makes the usual file
 * faster (tests/verify/test_compiled_mps.py holds the two to each other on every file
 * and on the reader fuzz corpus).
 *
 * Numbers: a token must be a plain decimal ([+-]?(d+.?d*|.d+)([eE][+-]?d+)?), converted
 * by PyOS_string_to_double, the function float() itself calls (correctly rounded, locale
 * free), and finite; anything else declines the file.
 *
 * The result: (sense, offset, var_names, row_names, c, row_lower, row_upper, col_lower,
 * col_upper, integer, indptr, indices, data): names as lists of str, each array as bytes
 * in native layout (float64; integer as one byte 0/1 per column; indptr and indices as
 * int64), the matrix row-wise with columns ascending in each row, no zeros, no repeats.
 *
 * Built with the limited API (one wheel per platform for every CPython >= 3.11).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ growable arrays */

typedef struct {
    char *p;
    size_t len, cap, item;
} Vec;

static int vec_reserve(Vec *v, size_t need) {
    if (need <= v->cap) return 0;
    size_t cap = v->cap ? v->cap : 64;
    while (cap < need) cap *= 2;
    char *p = PyMem_Realloc(v->p, cap * v->item);
    if (!p) return -1;
    v->p = p;
    v->cap = cap;
    return 0;
}

static int vec_push(Vec *v, const void *x) {
    if (v->len == v->cap && vec_reserve(v, v->len + 1)) return -1;
    memcpy(v->p + v->len * v->item, x, v->item);
    v->len++;
    return 0;
}

static void vec_free(Vec *v) {
    PyMem_Free(v->p);
    v->p = NULL;
    v->len = v->cap = 0;
}

#define VEC(type) ((Vec){NULL, 0, 0, sizeof(type)})
#define AT(v, type, i) (((type *)(v).p)[i])

/* ---------------------------------------------------------------------- names table */

typedef struct {
    const char *s;
    Py_ssize_t n;
} Tok;

/* open addressing over (text, length) -> int64 id; the text lives in the caller's bytes.
 * A slot keeps its key's hash, so that a probe compares text only on a likely match. */
typedef struct {
    const char *s; /* NULL: an empty slot */
    Py_ssize_t n;
    uint64_t hash;
    int64_t val;
} Slot;

typedef struct {
    Slot *slot;
    size_t mask, used;
    size_t first; /* the size of the first allocation (a power of two) */
} Table;

/* the hash's key, drawn from os.urandom when the module loads: a file cannot be written
 * to make names collide (and a long probe declines the file anyway, see MAX_PROBE) */
static uint64_t SEED = 0;

static uint64_t hash_bytes(const char *s, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL ^ SEED; /* FNV-1a, then a finaliser */
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

static int table_grow(Table *t, size_t first) {
    size_t cap = t->mask ? (t->mask + 1) * 2 : first;
    Slot *slot = PyMem_Calloc(cap, sizeof(Slot));
    if (!slot) return -1;
    if (t->mask) {
        for (size_t i = 0; i <= t->mask; i++) {
            if (!t->slot[i].s) continue;
            size_t k = t->slot[i].hash & (cap - 1);
            while (slot[k].s) k = (k + 1) & (cap - 1);
            slot[k] = t->slot[i];
        }
    }
    PyMem_Free(t->slot);
    t->slot = slot;
    t->mask = cap - 1;
    return 0;
}

static void table_free(Table *t) {
    PyMem_Free(t->slot);
    t->slot = NULL;
    t->mask = t->used = 0;
}

/* probes before a lookup gives up (the file is then declined, and read by the Python
 * reader, whose dicts are safe): at half load a probe is 1.5 slots on average, so only
 * names made to collide get here, and no file can make the reading quadratic */
#define MAX_PROBE 256

/* the slot of `tok`, whose hash is h: its own, or the empty one where it would go; NULL
 * after MAX_PROBE slots */
static Slot *table_slot(const Table *t, Tok tok, uint64_t h) {
    size_t k = h & t->mask;
    for (int probe = 0; probe < MAX_PROBE; probe++) {
        Slot *x = &t->slot[k];
        if (!x->s || (x->hash == h && x->n == tok.n && memcmp(x->s, tok.s, (size_t)tok.n) == 0))
            return x;
        k = (k + 1) & t->mask;
    }
    return NULL;
}

/* id of tok; -1 when absent (or not found within MAX_PROBE: both decline the file) */
static int64_t table_get(const Table *t, Tok tok) {
    if (!t->mask) return -1;
    Slot *x = table_slot(t, tok, hash_bytes(tok.s, tok.n));
    return x && x->s ? x->val : -1;
}

/* 1 inserted, 0 already there or past MAX_PROBE (both decline the file), -1 memory error */
static int table_add(Table *t, Tok tok, int64_t id) {
    if (!t->mask || (t->used + 1) * 2 > t->mask + 1) {
        if (table_grow(t, t->first ? t->first : 64)) return -1;
    }
    uint64_t h = hash_bytes(tok.s, tok.n);
    Slot *x = table_slot(t, tok, h);
    if (!x || x->s) return 0;
    x->s = tok.s;
    x->n = tok.n;
    x->hash = h;
    x->val = id;
    t->used++;
    return 1;
}

/* ------------------------------------------------------------------------- lexing */

/* byte classes: 1 for what bytes.split() splits on (and what \s is in a bytes regular
 * expression) but the newline, 2 for the newline, 0 for any other byte */
static const unsigned char CLASS[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\x0b'] = 1, ['\x0c'] = 1, ['\n'] = 2};

#define MAXTOK 6 /* more tokens than any record this reader takes: the line is declined */

/* the words of the line at s (to its newline or the end): their number, the first MAXTOK
 * kept in tok; *next: where the next line starts */
static int scan_line(const char *s, const char *end, Tok *tok, const char **next) {
    int k = 0;
    for (;;) {
        /* fixed-format files are mostly runs of blanks: eight at a time */
        uint64_t w;
        while (end - s >= 8 && (memcpy(&w, s, 8), w == 0x2020202020202020ULL)) s += 8;
        while (s < end && CLASS[(unsigned char)*s] == 1) s++;
        if (s == end || *s == '\n') {
            *next = s == end ? end : s + 1;
            return k;
        }
        const char *b = s;
        while (s < end && CLASS[(unsigned char)*s] == 0) s++;
        if (k < MAXTOK) {
            tok[k].s = b;
            tok[k].n = s - b;
        }
        k++;
    }
}

static inline int tok_is(Tok t, const char *lit) {
    size_t n = strlen(lit);
    return (size_t)t.n == n && memcmp(t.s, lit, n) == 0;
}

static inline int tok_eq(Tok a, Tok b) {
    return a.n == b.n && memcmp(a.s, b.s, (size_t)a.n) == 0;
}

/* a word HiGHS takes for a section header even on an indented line, any case
 * (verify/_mps.py _KEYWORDS), other than the section's own name */
static int is_keyword(Tok t, const char *own) {
    static const char *const words[] = {
        "NAME", "OBJSENSE", "OBJSENCE", "OBJNAME", "ROWS", "COLUMNS", "RHS", "RANGES",
        "BOUNDS", "SOS", "SETS", "QUADOBJ", "QMATRIX", "QSECTION", "QCMATRIX", "CSECTION",
        "INDICATORS", "GENCONS", "PWLOBJ", "PWLCON", "ENDATA", NULL};
    char up[16];
    if (t.n < 3 || t.n > 10) return 0; /* the words' lengths */
    for (Py_ssize_t i = 0; i < t.n; i++) {
        char c = t.s[i];
        up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    up[t.n] = 0;
    if (!strchr("NORCBSQIGPE", up[0])) return 0; /* the words' first letters */
    if (strcmp(up, own) == 0) return 0;
    for (int i = 0; words[i]; i++)
        if (strcmp(up, words[i]) == 0) return 1;
    return 0;
}

/* Clinger's exact case: a decimal of at most 2**53 digits' worth and a power of ten
 * that is itself a double (10**0 .. 10**22) give the correctly rounded value with one
 * IEEE multiplication or division, which is what float() gives; 0 when the token is not
 * such a case (the caller then calls PyOS_string_to_double). The token's grammar has
 * been checked. */
static int fast_number(Tok t, double *out) {
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *s = t.s, *e = t.s + t.n;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    uint64_t m = 0;
    int exp10 = 0;
    for (; s < e && *s >= '0' && *s <= '9'; s++) {
        m = m * 10 + (uint64_t)(*s - '0');
        if (m > (1ULL << 53)) return 0;
    }
    if (s < e && *s == '.') {
        for (s++; s < e && *s >= '0' && *s <= '9'; s++) {
            m = m * 10 + (uint64_t)(*s - '0');
            if (m > (1ULL << 53)) return 0;
            exp10--;
        }
    }
    if (s < e) { /* the exponent */
        s++;
        int eneg = 0, x = 0;
        if (*s == '+' || *s == '-') eneg = *s++ == '-';
        for (; s < e; s++) {
            x = x * 10 + (*s - '0');
            if (x > 400) return 0;
        }
        exp10 += eneg ? -x : x;
    }
    if (exp10 < -22 || exp10 > 22) return 0;
    double v = (double)m;
    v = exp10 < 0 ? v / pow10[-exp10] : v * pow10[exp10];
    *out = neg ? -v : v;
    return 1;
}

/* a plain decimal number, as float() reads it; 0 and no value when the token is not
 * one, or is not finite */
static int number(Tok t, double *out) {
    const char *s = t.s, *e = t.s + t.n;
    char buf[64];
    if (s < e && (*s == '+' || *s == '-')) s++;
    const char *d = s;
    while (s < e && *s >= '0' && *s <= '9') s++;
    int digits = (int)(s - d);
    if (s < e && *s == '.') {
        s++;
        const char *f = s;
        while (s < e && *s >= '0' && *s <= '9') s++;
        digits += (int)(s - f);
    }
    if (!digits) return 0;
    if (s < e && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < e && (*s == '+' || *s == '-')) s++;
        const char *x = s;
        while (s < e && *s >= '0' && *s <= '9') s++;
        if (s == x) return 0;
    }
    if (s != e) return 0;
    if (fast_number(t, out)) return 1;
    const char *text = t.s;
    char *heap = NULL;
    if (t.n < (Py_ssize_t)sizeof buf) {
        memcpy(buf, t.s, (size_t)t.n);
        buf[t.n] = 0;
        text = buf;
    } else {
        heap = PyMem_Malloc((size_t)t.n + 1);
        if (!heap) return 0;
        memcpy(heap, t.s, (size_t)t.n);
        heap[t.n] = 0;
        text = heap;
    }
    char *end = NULL;
    double v = PyOS_string_to_double(text, &end, NULL);
    int ok = end == text + t.n && !PyErr_Occurred() && isfinite(v);
    PyErr_Clear();
    PyMem_Free(heap);
    if (!ok) return 0;
    *out = v;
    return 1;
}

/* --------------------------------------------------------------------- the reader */

enum { S_NONE, S_NAME, S_OBJSENSE, S_ROWS, S_COLUMNS, S_RHS, S_RANGES, S_BOUNDS };

typedef struct {
    /* ROWS */
    Table rows;   /* constraint rows -> index; the objective -> -2 until ROWS ends, then m */
    Vec row_tok;  /* Tok per constraint row */
    Vec kind;     /* char per constraint row: E, L, G */
    Tok obj;
    int have_obj;
    int64_t m;
    /* COLUMNS */
    Table cols;
    Vec col_tok;   /* Tok per column */
    Vec col_int;   /* char per column: inside an integer marker block */
    Vec e_row, e_col; /* int64 per matrix entry (zeros included), file order */
    Vec e_val;        /* double per matrix entry */
    Vec c;            /* double per column */
    int64_t *stamp;   /* per row (m + 1, the objective last): the last column seen */
    int in_int;       /* inside INTORG ... INTEND */
    Tok prev;         /* the last data line's column */
    int have_prev;
    /* RHS and RANGES */
    double offset;
    double *rhs, *range;
    char *has_range, *seen;
    Tok set;
    int have_set;
    /* BOUNDS */
    double *lo, *up;
    char *has_lo, *has_up, *neg, *integer;
} Reader;

static void reader_free(Reader *r) {
    table_free(&r->rows);
    table_free(&r->cols);
    vec_free(&r->row_tok);
    vec_free(&r->kind);
    vec_free(&r->col_tok);
    vec_free(&r->col_int);
    vec_free(&r->e_row);
    vec_free(&r->e_col);
    vec_free(&r->e_val);
    vec_free(&r->c);
    PyMem_Free(r->stamp);
    PyMem_Free(r->rhs);
    PyMem_Free(r->range);
    PyMem_Free(r->has_range);
    PyMem_Free(r->seen);
    PyMem_Free(r->lo);
    PyMem_Free(r->up);
    PyMem_Free(r->has_lo);
    PyMem_Free(r->has_up);
    PyMem_Free(r->neg);
    PyMem_Free(r->integer);
}

/* return codes of the line handlers: 0 read on, 1 decline the file, -1 memory error */
#define DECLINE 1

static int rows_line(Reader *r, Tok *t, int k) {
    if (k != 2 || t[0].n != 1) return DECLINE;
    char kind = t[0].s[0];
    if (kind == 'N') {
        if (r->have_obj) return DECLINE; /* one objective row only */
        r->have_obj = 1;
        r->obj = t[1];
        int added = table_add(&r->rows, t[1], -2);
        return added < 0 ? -1 : added ? 0 : DECLINE;
    }
    if (kind != 'E' && kind != 'L' && kind != 'G') return DECLINE; /* free rows: HiGHS */
    int added = table_add(&r->rows, t[1], r->m);
    if (added <= 0) return added < 0 ? -1 : DECLINE; /* a repeated row name */
    if (vec_push(&r->row_tok, &t[1]) || vec_push(&r->kind, &kind)) return -1;
    r->m++;
    return 0;
}

/* after ROWS: the objective is row m */
static int rows_done(Reader *r) {
    if (!r->have_obj) return DECLINE;
    Slot *obj = table_slot(&r->rows, r->obj, hash_bytes(r->obj.s, r->obj.n));
    if (!obj || !obj->s) return DECLINE; /* (a probe grown past MAX_PROBE) */
    obj->val = r->m;
    r->stamp = PyMem_Malloc(((size_t)r->m + 1) * sizeof(int64_t));
    if (!r->stamp) return -1;
    for (int64_t i = 0; i <= r->m; i++) r->stamp[i] = -1;
    return 0;
}

static int entry(Reader *r, int64_t j, Tok row, Tok val) {
    int64_t i = table_get(&r->rows, row);
    double v;
    if (i < 0 || !number(val, &v)) return DECLINE;
    if (r->stamp[i] == j) return DECLINE; /* a repeated entry */
    r->stamp[i] = j;
    if (i == r->m) {
        AT(r->c, double, j) = v;
        return 0;
    }
    if (vec_push(&r->e_row, &i) || vec_push(&r->e_col, &j) || vec_push(&r->e_val, &v)) return -1;
    return 0;
}

static int columns_line(Reader *r, Tok *t, int k) {
    /* a line's first word is checked once for each run of lines that start with it */
    int same = r->have_prev && tok_eq(t[0], r->prev);
    if (!same && is_keyword(t[0], "COLUMNS")) return DECLINE;
    if (k == 3 && tok_is(t[1], "'MARKER'")) {
        if (!tok_is(t[2], r->in_int ? "'INTEND'" : "'INTORG'")) return DECLINE;
        r->in_int = !r->in_int;
        return 0;
    }
    if (k != 3 && k != 5) return DECLINE;
    int64_t j;
    if (same) {
        j = (int64_t)r->col_tok.len - 1;
        if (AT(r->col_int, char, j) != (char)r->in_int) return DECLINE; /* across a marker */
    } else {
        j = (int64_t)r->col_tok.len;
        int added = table_add(&r->cols, t[0], j);
        if (added <= 0) return added < 0 ? -1 : DECLINE; /* a column in two places */
        char flag = (char)r->in_int;
        double zero = 0.0;
        if (vec_push(&r->col_tok, &t[0]) || vec_push(&r->col_int, &flag) ||
            vec_push(&r->c, &zero))
            return -1;
        r->prev = t[0];
        r->have_prev = 1;
    }
    int rc = entry(r, j, t[1], t[2]);
    if (rc || k == 3) return rc;
    return entry(r, j, t[3], t[4]);
}

static int columns_done(Reader *r) {
    /* an INTORG left open: its columns are integer to the end (_mps._marker_records) */
    size_t m = (size_t)r->m, n = r->col_tok.len;
    r->rhs = PyMem_Calloc(m + 1, sizeof(double));
    r->range = PyMem_Calloc(m + 1, sizeof(double));
    r->has_range = PyMem_Calloc(m + 1, 1);
    r->seen = PyMem_Calloc(m + 1, 1);
    r->lo = PyMem_Calloc(n + 1, sizeof(double));
    r->up = PyMem_Calloc(n + 1, sizeof(double));
    r->has_lo = PyMem_Calloc(n + 1, 1);
    r->has_up = PyMem_Calloc(n + 1, 1);
    r->neg = PyMem_Calloc(n + 1, 1);
    r->integer = PyMem_Calloc(n + 1, 1);
    if (!r->rhs || !r->range || !r->has_range || !r->seen || !r->lo || !r->up || !r->has_lo ||
        !r->has_up || !r->neg || !r->integer)
        return -1;
    for (size_t j = 0; j < n; j++) {
        r->lo[j] = 0.0;
        r->up[j] = INFINITY;
        r->integer[j] = AT(r->col_int, char, j);
    }
    return 0;
}

/* RHS or RANGES: one set, each row once */
static int set_line(Reader *r, Tok *t, int k, int ranges) {
    if (k != 3 && k != 5) return DECLINE;
    if (!r->have_set) { /* every line starts with this word: checked once */
        if (is_keyword(t[0], ranges ? "RANGES" : "RHS")) return DECLINE;
        r->set = t[0];
        r->have_set = 1;
    } else if (!tok_eq(r->set, t[0])) {
        return DECLINE;
    }
    for (int p = 1; p < k; p += 2) {
        int64_t i = table_get(&r->rows, t[p]);
        double v;
        if (i < 0 || !number(t[p + 1], &v) || r->seen[i]) return DECLINE;
        r->seen[i] = 1;
        if (ranges) {
            if (i == r->m) return DECLINE; /* a range on the objective */
            r->range[i] = v;
            r->has_range[i] = 1;
        } else if (i == r->m) {
            r->offset = -v;
        } else {
            r->rhs[i] = v;
        }
    }
    return 0;
}

static int bounds_line(Reader *r, Tok *t, int k) {
    /* type -> sets lower, sets upper, has a value, makes the column integer */
    static const struct {
        const char *name;
        char lo, up, val, mk;
    } types[] = {{"UP", 0, 1, 1, 0}, {"LO", 1, 0, 1, 0}, {"FX", 1, 1, 1, 0},
                 {"FR", 1, 1, 0, 0}, {"MI", 1, 0, 0, 0}, {"PL", 0, 1, 0, 0},
                 {"BV", 1, 1, 0, 1}, {"LI", 1, 0, 1, 1}, {"UI", 0, 1, 1, 1}};
    int ty = -1;
    for (int i = 0; i < 9; i++)
        if (tok_is(t[0], types[i].name)) ty = i;
    if (ty < 0 || k != (types[ty].val ? 4 : 3)) return DECLINE;
    if (!r->have_set) {
        r->set = t[1];
        r->have_set = 1;
    } else if (!tok_eq(r->set, t[1])) {
        return DECLINE;
    }
    int64_t j = table_get(&r->cols, t[2]);
    double v = 0.0;
    if (j < 0 || (types[ty].val && !number(t[3], &v))) return DECLINE;
    int fr = ty == 3, mi = ty == 4, pl = ty == 5, bv = ty == 6;
    if (types[ty].lo) {
        if (r->has_lo[j]) return DECLINE;
        r->has_lo[j] = 1;
        r->lo[j] = (fr || mi) ? -INFINITY : bv ? 0.0 : v;
    }
    if (types[ty].up) {
        if (r->has_up[j]) return DECLINE;
        r->has_up[j] = 1;
        double up = (fr || pl) ? INFINITY : bv ? 1.0 : v;
        r->up[j] = up;
        if (!types[ty].lo && up < 0) r->neg[j] = 1;
    }
    if (types[ty].mk) r->integer[j] = 1;
    return 0;
}

static PyObject *bytes_of(const void *p, size_t n) {
    return PyBytes_FromStringAndSize(n ? (const char *)p : "", (Py_ssize_t)n);
}

/* an array as the result wants it: the bytes of n items of `size` bytes, or (as_list)
 * the list tolist() gives of it: floats (kind 'd'), ints ('q') or bools ('?') */
static PyObject *array_of(const void *p, size_t n, char kind, int as_list) {
    size_t size = kind == '?' ? 1 : 8;
    if (!as_list) return bytes_of(p, n * size);
    PyObject *out = PyList_New((Py_ssize_t)n);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *x;
        if (kind == 'd') {
            x = PyFloat_FromDouble(((const double *)p)[i]);
        } else if (kind == 'q') {
            x = PyLong_FromLongLong(((const int64_t *)p)[i]);
        } else {
            x = ((const char *)p)[i] ? Py_True : Py_False;
            Py_INCREF(x);
        }
        if (!x) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SetItem(out, (Py_ssize_t)i, x);
    }
    return out;
}

static PyObject *names_of(const Vec *toks) {
    PyObject *out = PyList_New((Py_ssize_t)toks->len);
    if (!out) return NULL;
    for (size_t i = 0; i < toks->len; i++) {
        Tok t = AT(*toks, Tok, i);
        PyObject *s = PyUnicode_DecodeUTF8(t.s, t.n, "strict");
        if (!s) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SetItem(out, (Py_ssize_t)i, s);
    }
    return out;
}

/* the model as the tuple described at the top */
static PyObject *finish(Reader *r, int sense, Py_ssize_t list_max) {
    size_t m = (size_t)r->m, n = r->col_tok.len;
    if (!r->rhs) return Py_None; /* no COLUMNS section ended (never so after ENDATA) */
    for (size_t j = 0; j < n; j++) {
        if (r->neg[j] && !r->has_lo[j]) return Py_None; /* readers disagree on its lower */
        if (AT(r->col_int, char, j) && !r->has_lo[j] && !r->has_up[j])
            r->up[j] = 1.0; /* HiGHS: an integer column without bounds is binary */
    }
    double *lower = PyMem_Malloc((m + 1) * sizeof(double));
    double *upper = PyMem_Malloc((m + 1) * sizeof(double));
    int64_t *indptr = PyMem_Calloc(m + 1, sizeof(int64_t));
    size_t nnz = 0;
    for (size_t e = 0; e < r->e_val.len; e++) nnz += AT(r->e_val, double, e) != 0.0;
    int as_lists = (Py_ssize_t)nnz <= list_max; /* lists for the small paths' sizes */
    int64_t *indices = PyMem_Malloc((nnz + 1) * sizeof(int64_t));
    double *data = PyMem_Malloc((nnz + 1) * sizeof(double));
    PyObject *out = NULL;
    if (!lower || !upper || !indptr || !indices || !data) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        char kind = AT(r->kind, char, i);
        double b = r->rhs[i];
        lower[i] = kind == 'L' ? -INFINITY : b;
        upper[i] = kind == 'G' ? INFINITY : b;
        if (!r->has_range[i]) continue;
        double v = r->range[i];
        if (kind == 'E') {
            if (v < 0)
                lower[i] = b + v;
            else
                upper[i] = b + v;
        } else if (kind == 'L') {
            lower[i] = b - fabs(v);
        } else {
            upper[i] = b + fabs(v);
        }
    }
    /* row-wise by a counting sort; the entries come column by column in ascending
     * column order, so each row's columns come out ascending */
    for (size_t e = 0; e < r->e_val.len; e++)
        if (AT(r->e_val, double, e) != 0.0) indptr[AT(r->e_row, int64_t, e) + 1]++;
    for (size_t i = 0; i < m; i++) indptr[i + 1] += indptr[i];
    {
        int64_t *next = PyMem_Malloc((m + 1) * sizeof(int64_t));
        if (!next) {
            PyErr_NoMemory();
            goto done;
        }
        memcpy(next, indptr, (m + 1) * sizeof(int64_t));
        for (size_t e = 0; e < r->e_val.len; e++) {
            double v = AT(r->e_val, double, e);
            if (v == 0.0) continue;
            int64_t at = next[AT(r->e_row, int64_t, e)]++;
            indices[at] = AT(r->e_col, int64_t, e);
            data[at] = v;
        }
        PyMem_Free(next);
    }
    {
        PyObject *var_names = names_of(&r->col_tok);
        PyObject *row_names = var_names ? names_of(&r->row_tok) : NULL;
        if (row_names) {
            out = Py_BuildValue(
                "(idNNNNNNNNNNN)", sense, r->offset, var_names, row_names,
                array_of(r->c.p, n, 'd', as_lists), array_of(lower, m, 'd', as_lists),
                array_of(upper, m, 'd', as_lists), array_of(r->lo, n, 'd', as_lists),
                array_of(r->up, n, 'd', as_lists), array_of(r->integer, n, '?', as_lists),
                array_of(indptr, m + 1, 'q', as_lists), array_of(indices, nnz, 'q', as_lists),
                array_of(data, nnz, 'd', as_lists));
        } else {
            Py_XDECREF(var_names);
            if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
                PyErr_Clear();
                out = Py_None; /* not UTF-8: the Python reader refuses it */
            }
        }
    }
done:
    PyMem_Free(lower);
    PyMem_Free(upper);
    PyMem_Free(indptr);
    PyMem_Free(indices);
    PyMem_Free(data);
    return out;
}

/* the header line's section; S_NONE declines */
static int rank_of(Tok h) {
    static const char *const names[] = {"ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS"};
    for (int i = 0; i < 5; i++)
        if (tok_is(h, names[i])) return S_ROWS + i;
    return S_NONE;
}

static PyObject *read_mps(const char *raw, Py_ssize_t size, Py_ssize_t list_max) {
    Reader r;
    memset(&r, 0, sizeof r);
    r.row_tok = VEC(Tok);
    r.kind = VEC(char);
    r.col_tok = VEC(Tok);
    r.col_int = VEC(char);
    r.e_row = VEC(int64_t);
    r.e_col = VEC(int64_t);
    r.e_val = VEC(double);
    r.c = VEC(double);

    /* room for the entries of the usual file (a record of one entry takes 12 bytes or
     * more) at once, instead of growing by doubling */
    if (vec_reserve(&r.e_row, (size_t)size / 12 + 16) ||
        vec_reserve(&r.e_col, (size_t)size / 12 + 16) ||
        vec_reserve(&r.e_val, (size_t)size / 12 + 16)) {
        reader_free(&r);
        return PyErr_NoMemory();
    }
    /* names tables sized for the usual file at once (a distinct name per 64 bytes of
     * it, at most 2^16 slots to start with), instead of growing from 64 */
    size_t first = 64;
    while (first < (1u << 16) && first * 64 < (size_t)size) first *= 2;
    r.rows.first = r.cols.first = first;
    const char *p = raw, *end = raw + size;
    int section = S_NONE, last = S_NONE, sense = 1, have_name = 0, have_sense_value = 0;
    int rc = 0, ended = 0;
    Tok t[MAXTOK];
    while (p < end) {
        const char *line = p;
        if (*line == '*') { /* a comment line */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
            continue;
        }
        int k = scan_line(line, end, t, &p);
        if (k == 0) continue; /* empty, or blanks only */
        if (CLASS[(unsigned char)*line] == 0) { /* a header: it starts with a word */
            /* the section just ended */
            if (section == S_ROWS && (rc = rows_done(&r))) goto out;
            if (section == S_COLUMNS && (rc = columns_done(&r))) goto out;
            if (section == S_OBJSENSE && !have_sense_value) goto decline;
            r.have_set = 0;
            if (tok_is(t[0], "NAME")) { /* any words after it */
                if (have_name) goto decline;
                have_name = 1;
                section = last = S_NAME;
                continue;
            }
            if (!have_name || k > MAXTOK) goto decline;
            if (tok_is(t[0], "ENDATA")) {
                if (k != 1 || last < S_COLUMNS) goto decline;
                ended = 1;
                break;
            }
            if (tok_is(t[0], "OBJSENSE")) {
                if (last != S_NAME || k > 2) goto decline;
                section = last = S_OBJSENSE;
                have_sense_value = 0;
                if (k == 2) {
                    Tok v = t[1];
                    if (tok_is(v, "MIN") || tok_is(v, "MINIMIZE"))
                        sense = 1;
                    else if (tok_is(v, "MAX") || tok_is(v, "MAXIMIZE"))
                        sense = -1;
                    else
                        goto decline;
                    have_sense_value = 1;
                }
                continue;
            }
            int s = rank_of(t[0]);
            if (s == S_NONE || k != 1) goto decline;
            /* ROWS right after NAME [OBJSENSE], COLUMNS right after ROWS, then RHS,
             * RANGES, BOUNDS in this order, each at most once */
            if (s == S_ROWS ? last > S_OBJSENSE : s == S_COLUMNS ? last != S_ROWS : last < S_COLUMNS || s <= last)
                goto decline;
            if (s == S_RHS || s == S_RANGES) memset(r.seen, 0, (size_t)r.m + 1);
            section = last = s;
            continue;
        }
        if (k > MAXTOK) goto decline;
        switch (section) {
        case S_OBJSENSE:
            if (have_sense_value || k != 1) goto decline;
            if (tok_is(t[0], "MIN") || tok_is(t[0], "MINIMIZE"))
                sense = 1;
            else if (tok_is(t[0], "MAX") || tok_is(t[0], "MAXIMIZE"))
                sense = -1;
            else
                goto decline;
            have_sense_value = 1;
            continue;
        case S_ROWS:
            rc = rows_line(&r, t, k);
            break;
        case S_COLUMNS:
            rc = columns_line(&r, t, k);
            break;
        case S_RHS:
            rc = set_line(&r, t, k, 0);
            break;
        case S_RANGES:
            rc = set_line(&r, t, k, 1);
            break;
        case S_BOUNDS:
            rc = bounds_line(&r, t, k);
            break;
        default: /* data before the first header or after NAME */
            goto decline;
        }
        if (rc) goto out;
    }
    if (!ended) goto decline; /* no ENDATA: truncated */
    {
        PyObject *model = finish(&r, sense, list_max);
        reader_free(&r);
        if (model == Py_None) Py_INCREF(model);
        return model;
    }
decline:
    rc = DECLINE;
out:
    reader_free(&r);
    if (rc < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *parse_as(PyObject *arg, Py_ssize_t list_max) {
    char *raw;
    Py_ssize_t size;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "the MPS text must be bytes");
        return NULL;
    }
    if (PyBytes_AsStringAndSize(arg, &raw, &size) < 0) return NULL;
    return read_mps(raw, size, list_max);
}

static PyObject *parse(PyObject *self, PyObject *arg) {
    (void)self;
    return parse_as(arg, -1);
}

static PyObject *parse_lists(PyObject *self, PyObject *arg) {
    (void)self;
    return parse_as(arg, PY_SSIZE_T_MAX);
}

static PyObject *parse_upto(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *raw;
    Py_ssize_t list_max;
    if (!PyArg_ParseTuple(args, "On", &raw, &list_max)) return NULL;
    return parse_as(raw, list_max);
}

static PyObject *name_hash(PyObject *self, PyObject *arg) {
    (void)self;
    char *s;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(arg, &s, &n) < 0) return NULL;
    return PyLong_FromUnsignedLongLong(hash_bytes(s, n));
}

static PyMethodDef methods[] = {
    {"_name_hash", name_hash, METH_O,
     "_name_hash(name: bytes) -> int: the names tables' hash of a name, this process's key "
     "included (for the tests of MAX_PROBE)."},
    {"parse", parse, METH_O,
     "parse(raw: bytes) -> tuple | None: the MPS text's model as the Python list reader "
     "reads it, each array as the bytes of its native layout; None when the caller should "
     "run that reader (see verify/_mps.py)."},
    {"parse_lists", parse_lists, METH_O,
     "parse_lists(raw: bytes) -> tuple | None: parse(), each array as the list tolist() "
     "gives of it (for small files, whose checks run on lists)."},
    {"parse_upto", parse_upto, METH_VARARGS,
     "parse_upto(raw: bytes, list_max: int) -> tuple | None: parse_lists() when the matrix "
     "has at most list_max entries, else parse() (the model's size decides, not the "
     "file's)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_mpsc", "The native MPS reader's reading, compiled.", -1, methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__mpsc(void) {
    PyObject *os = PyImport_ImportModule("os");
    PyObject *key = os ? PyObject_CallMethod(os, "urandom", "i", (int)sizeof SEED) : NULL;
    Py_XDECREF(os);
    if (!key) return NULL;
    char *bytes;
    Py_ssize_t size;
    if (PyBytes_AsStringAndSize(key, &bytes, &size) < 0 || size != (Py_ssize_t)sizeof SEED) {
        Py_DECREF(key);
        PyErr_SetString(PyExc_RuntimeError, "os.urandom gave no key");
        return NULL;
    }
    memcpy(&SEED, bytes, sizeof SEED);
    Py_DECREF(key);
    return PyModule_Create(&module);
}
