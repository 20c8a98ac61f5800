/* The loop of mlmon.datadrift.accumulator (its pure numpy reference, with the same results:
 * mlmon._speedups.accumulate.reference): one pass over a chunk of a numerical column that counts
 * nulls/NaNs and infinities, sums for the mean and M2, tracks min and max, takes every k-th
 * finite value into a sample and counts values in right-closed bins (through a lookup table
 * that gives a lower bound of the bin, then a short walk). See accumulator.py for the layout
 * of the state buffers and why this is compiled. The GIL is released while it runs.
 *
 * accumulate(values, edges, table, low, scale, counts, sums, tallies, sample, step)
 *   values  float64[n]      the chunk (NaN for null); read only
 *   edges   float64[k]      sorted, distinct bin edges; read only
 *   table   int64[cells]    lower bound of the bin of each cell (may be empty); read only
 *   counts  int64[k + 1]    bin counts, or empty for none; updated
 *   sums    float64[6]      shift, sum(x - shift), sum((x - shift)^2), min, max, sum(x); updated
 *   tallies int64[4]        NaNs, infinities, finite values, values sampled; updated
 *   sample  float64[cap]    the sample; updated
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

typedef struct {
    Py_buffer view;
    int held;
} Buffer;

static int take(PyObject *obj, Buffer *buf, char kind, int writable, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &buf->view, flags) != 0) {
        return -1;
    }
    buf->held = 1;
    const char *format = buf->view.format ? buf->view.format : "B";
    if (*format == '<' || *format == '=' || *format == '@') {
        format++;
    }
    int ok = buf->view.itemsize == 8 && buf->view.ndim <= 1 &&
             (kind == 'd' ? *format == 'd' : (*format == 'q' || *format == 'l'));
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous %s array", name,
                     kind == 'd' ? "float64" : "int64");
        return -1;
    }
    return 0;
}

static void release(Buffer *bufs, int n) {
    for (int i = 0; i < n; i++) {
        if (bufs[i].held) {
            PyBuffer_Release(&bufs[i].view);
        }
    }
}

static PyObject *accumulate(PyObject *self, PyObject *args) {
    PyObject *objs[7];
    double low, scale;
    Py_ssize_t step;
    if (!PyArg_ParseTuple(args, "OOOddOOOOn", &objs[0], &objs[1], &objs[2], &low, &scale,
                          &objs[3], &objs[4], &objs[5], &objs[6], &step)) {
        return NULL;
    }
    static const char kinds[7] = {'d', 'd', 'q', 'q', 'd', 'q', 'd'};
    static const int writable[7] = {0, 0, 0, 1, 1, 1, 1};
    static const char *names[7] = {"values", "edges", "table", "counts", "sums", "tallies",
                                   "sample"};
    Buffer bufs[7] = {{0}};
    for (int i = 0; i < 7; i++) {
        if (take(objs[i], &bufs[i], kinds[i], writable[i], names[i]) != 0) {
            release(bufs, 7);
            return NULL;
        }
    }
    Py_ssize_t n_counts = bufs[3].view.len / 8;
    if (step < 1 || bufs[4].view.len / 8 < 6 || bufs[5].view.len / 8 < 4 ||
        (n_counts != 0 && n_counts != bufs[1].view.len / 8 + 1)) {
        release(bufs, 7);
        PyErr_SetString(PyExc_ValueError, "accumulate: inconsistent state buffers");
        return NULL;
    }
    const double *values = bufs[0].view.buf;
    const double *edges = bufs[1].view.buf;
    const int64_t *table = bufs[2].view.buf;
    int64_t *counts = bufs[3].view.buf;
    double *sums = bufs[4].view.buf;
    int64_t *tallies = bufs[5].view.buf;
    double *sample = bufs[6].view.buf;
    const Py_ssize_t n = bufs[0].view.len / 8;
    const int64_t k = bufs[1].view.len / 8;
    const int64_t cells = bufs[2].view.len / 8;
    const int64_t capacity = bufs[6].view.len / 8;
    const int binned = n_counts > 0;

    Py_BEGIN_ALLOW_THREADS
    double shift = sums[0], s1 = sums[1], s2 = sums[2], lo = sums[3], hi = sums[4];
    double total = sums[5];
    int64_t nans = tallies[0], infs = tallies[1], count = tallies[2], taken = tallies[3];
    for (Py_ssize_t i = 0; i < n; i++) {
        const double v = values[i];
        if (isnan(v)) {
            nans++;
            continue;
        }
        if (isinf(v)) {
            infs++;
            continue;
        }
        if (count == 0) {
            shift = v;
            lo = v;
            hi = v;
        }
        if (count % step == 0 && taken < capacity) {
            sample[taken++] = v;
        }
        count++;
        total += v;
        const double d = v - shift;
        s1 += d;
        s2 += d * d;
        if (v < lo) {
            lo = v;
        }
        if (v > hi) {
            hi = v;
        }
        if (binned) {
            int64_t b = 0;
            if (cells > 0) {
                const double x = (v - low) * scale;
                if (x >= (double)(cells - 1)) {
                    b = table[cells - 1];
                } else if (x > 0.0) {
                    b = table[(int64_t)x];
                }
            }
            while (b < k && edges[b] < v) {
                b++;
            }
            counts[b]++;
        }
    }
    sums[0] = shift;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = lo;
    sums[4] = hi;
    sums[5] = total;
    tallies[0] = nans;
    tallies[1] = infs;
    tallies[2] = count;
    tallies[3] = taken;
    Py_END_ALLOW_THREADS

    release(bufs, 7);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"accumulate", accumulate, METH_VARARGS,
     "accumulate(values, edges, table, low, scale, counts, sums, tallies, sample, step)\n"
     "Add a chunk of a numerical column to the running state (see mlmon.datadrift.accumulator)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_accumulate",
    "The compiled loop of mlmon.datadrift.accumulator (reference: mlmon._speedups.accumulate).", -1, methods,
};

PyMODINIT_FUNC PyInit__accumulate(void) { return PyModule_Create(&module); }
