/* What the verify C modules (verify/_canonc.c, verify/_graphc.c) share: numpy's IEEE
 * semantics (no excess precision, no fused multiply-add, a multiplication by -1.0 kept a
 * multiplication) and the buffers of numpy arrays (the kind of an input's items, output
 * arrays made by numpy.empty and filled through the buffer protocol). Included by each
 * module after PY_SSIZE_T_CLEAN and Python.h; not compiled on its own. */
#ifndef OPTISCRIBE_VERIFY_NPBUF_H
#define OPTISCRIBE_VERIFY_NPBUF_H

#include <float.h>
#include <stdint.h>

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

static PyObject *np_empty; /* numpy.empty, set by the module's init (npbuf_init) */

/* the kind of a buffer's items: 'f' float64, '?' bool, 'b' int8, '4'/'8' signed
 * integers, 0 other (an explicit byte order is accepted only where it is the native one) */
static inline char kind_of(const Py_buffer *b) {
    switch (buffer_letter(b)) {
    case 'd':
        return b->itemsize == 8 ? 'f' : 0;
    case '?':
        return b->itemsize == 1 ? '?' : 0;
    case 'b':
        return b->itemsize == 1 ? 'b' : 0;
    case 'i':
    case 'l':
    case 'q':
        return b->itemsize == 8 ? '8' : b->itemsize == 4 ? '4' : 0;
    default:
        return 0;
    }
}

/* an output array (numpy.empty) and its writable buffer */
typedef struct {
    PyObject *obj;
    Py_buffer view;
    int held;
} Out;

/* numpy.empty(n, dtype), or numpy.empty((n, cols), dtype) where cols > 0 */
static inline int out_new(Out *o, Py_ssize_t n, Py_ssize_t cols, PyObject *dtype) {
    o->obj = cols ? PyObject_CallFunction(np_empty, "(nn)O", n, cols, dtype)
                  : PyObject_CallFunction(np_empty, "nO", n, dtype);
    if (!o->obj) return -1;
    if (PyObject_GetBuffer(o->obj, &o->view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    o->held = 1;
    return 0;
}

static inline void out_release(Out *o, int n) {
    for (int k = 0; k < n; k++) {
        if (o[k].held) PyBuffer_Release(&o[k].view);
        Py_XDECREF(o[k].obj);
    }
}

/* numpy.empty and numpy.dtype(name) for each (name, slot) given; -1 on an error */
static inline int npbuf_init(const char *const *names, PyObject **slots, int n) {
    PyObject *np = PyImport_ImportModule("numpy");
    if (!np) return -1;
    np_empty = PyObject_GetAttrString(np, "empty");
    PyObject *dtype = PyObject_GetAttrString(np, "dtype");
    Py_DECREF(np);
    if (!np_empty || !dtype) {
        Py_XDECREF(dtype);
        return -1;
    }
    for (int k = 0; k < n; k++)
        if (!(slots[k] = PyObject_CallFunction(dtype, "s", names[k]))) {
            Py_DECREF(dtype);
            return -1;
        }
    Py_DECREF(dtype);
    return 0;
}

#endif
