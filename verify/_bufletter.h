/* The one struct letter of a buffer's items in native byte order ('d', '?', 'q', ...),
 * or 0: no letter or several, or an explicit byte order that is not this machine's. How
 * every verify C module reads a numpy array's format (verify/_npbuf.h, _certifyc.c,
 * _refinec.c); each then takes its own letters and item sizes. Included after Python.h;
 * not compiled on its own. */
#ifndef OPTISCRIBE_VERIFY_BUFLETTER_H
#define OPTISCRIBE_VERIFY_BUFLETTER_H

#include <stdint.h>

static inline char buffer_letter(const Py_buffer *b) {
    const char *f = b->format ? b->format : "B";
    if (*f == '=' || *f == '@') f++;
    if (*f == '<' || *f == '>' || *f == '!') {
        const uint16_t one = 1;
        int little = *(const uint8_t *)&one == 1;
        if ((*f == '<') != little) return 0;
        f++;
    }
    return f[0] != '\0' && f[1] == '\0' ? f[0] : 0;
}

#endif
