"""Explicitly vectorised pieces of the slicing kernel: the 4×4×4 cubic B-spline stencil sum and
its weights.

Why by hand: a stencil row of a complex coefficient grid is 4 points × (re, im) = 8 contiguous
float32, exactly one 256-bit vector, but numba's LLVM pipeline leaves the 128 loads and products of
a stencil scalar. :func:`bspline_stencil_f32` emits the 16 row loads as ``<8 x float>``, sums each z
plane's four rows with ``llvm.fma.v8f32`` against the broadcast y weights (four independent
chains), combines the planes with the z weights, applies the x weights lane-wise and folds the even
(real) and odd (imaginary) lanes with two shuffles. It reads the twelve weights from a 16-float
record per pixel that :func:`bspline_weights_f32` wrote beforehand, in a separate short loop, from
the three fractional positions (three Horner evaluations in vector lanes, x and y sharing one
8-lane vector). LLVM splits the vectors itself on machines without AVX.

Measured (GroEL 128×128, 2 cores): the whole render went from 0.64–0.89 ms per pattern (scalar) to
0.46–0.53 ms with one accumulator and scalar weight products; the plane-wise form with shuffled
weights takes the lookup alone from 0.35–0.47 to 0.29–0.40 ms (min of 7 runs, six repeats each);
Horner weights in lanes instead of twelve scalar polynomials: a further ≈ 10 % on the lookup.
Weights computed in their own loop into a record rather than inside the stencil: the whole render
kernel ≈ 9 % faster (median of 25 paired runs; PR772 panel 5 %), the same bits. The stencil's
dependency chain then starts at the loads instead of behind the Horner evaluations, so the CPU
overlaps more stencils.
Accumulation is float32 (the coefficients are float32): 64 terms, relative rounding ≲ 1e-6, far
below the B-spline's own 0.1 % interpolation error; the numpy reference tests check it.

Inside a ``fastmath=True`` caller (the render kernel) numba flags every floating-point instruction
of the function as fast, these included, so LLVM may reassociate the sum: a tree-shaped variant of
this stencil gave results bit-identical to this chain-shaped one inside ``render``, while the two
differ in :func:`stencil_sum` (compiled without fastmath). The order of the sum inside the kernel is
therefore LLVM's choice, fixed for a given numba/LLVM version.

Importing this module imports numba and llvmlite; :mod:`diffbench.simulate.kernels` does so lazily.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_F32 = ir.FloatType()
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_VEC = ir.VectorType(_F32, 8)
_V4 = ir.VectorType(_F32, 4)


# Cubic B-spline weights as polynomials in t (the fractional grid position), one per lane:
# β(t + 1) = (1 − t)³/6, β(t) = (3t³ − 6t² + 4)/6, β(1 − t) = (−3t³ + 3t² + 3t + 1)/6, β(2 − t) = t³/6,
# written w = ((a t + b) t + c) t + d and evaluated by Horner's rule in all four lanes at once.
_HORNER = (
    (-1 / 6, 3 / 6, -3 / 6, 1 / 6),  # a: t³
    (3 / 6, -6 / 6, 3 / 6, 0.0),  # b: t²
    (-3 / 6, 0.0, 3 / 6, 0.0),  # c: t
    (1 / 6, 4 / 6, 1 / 6, 0.0),  # d: 1
)


def _const(values) -> ir.Constant:
    return ir.Constant(ir.VectorType(_F32, len(values)), [float(np.float32(v)) for v in values])


#: floats per pixel in a weight record: x weights doubled (w0 w0 w1 w1 w2 w2 w3 w3), y, z weights
RECORD = 16


def _shuffle(builder, x, lanes):
    return builder.shuffle_vector(x, x, ir.Constant(ir.VectorType(_I32, len(lanes)), lanes))


def _record_ptr(builder, data, r, k):
    """Pointer to float k of record r."""
    return builder.gep(data, [builder.add(builder.mul(r, ir.Constant(_I64, RECORD)), ir.Constant(_I64, k))])


@intrinsic
def bspline_weights_f32(typingctx, tx, ty, tz, rec, r):
    """Write the 12 cubic B-spline weights of fractional positions tx, ty, tz (float32 in [0, 1))
    as record ``r`` of the float32 array ``rec``: floats 16r … 16r + 15 are the x weights, each
    twice (one per complex component), then the four y and the four z weights.

    The weights are Horner evaluations in vector lanes (x and y share one 8-lane vector)."""
    sig = types.void(tx, ty, tz, rec, r)

    def codegen(context, builder, signature, args):
        tx_v, ty_v, tz_v, rec_v, r_v = args
        data = context.make_array(signature.args[3])(context, builder, rec_v).data
        fma8 = builder.module.declare_intrinsic("llvm.fma.v8f32", (), ir.FunctionType(_VEC, [_VEC] * 3))
        fma4 = builder.module.declare_intrinsic("llvm.fma.v4f32", (), ir.FunctionType(_V4, [_V4] * 3))

        def horner(fma, t, coeffs):
            w = builder.call(fma, [_const(coeffs[0]), t, _const(coeffs[1])])
            w = builder.call(fma, [w, t, _const(coeffs[2])])
            return builder.call(fma, [w, t, _const(coeffs[3])])

        # lanes 0-3: the x weights, lanes 4-7: the y weights
        txy = builder.insert_element(ir.Constant(_VEC, ir.Undefined), tx_v, ir.Constant(_I32, 0))
        txy = _shuffle(builder, builder.insert_element(txy, ty_v, ir.Constant(_I32, 4)), [0, 0, 0, 0, 4, 4, 4, 4])
        wxy = horner(fma8, txy, [c + c for c in _HORNER])
        tz4 = _shuffle(builder, builder.insert_element(ir.Constant(_V4, ir.Undefined), tz_v, ir.Constant(_I32, 0)), [0] * 4)
        wz4 = horner(fma4, tz4, _HORNER)
        wz8 = _shuffle(builder, wz4, [0, 1, 2, 3, 0, 1, 2, 3])
        wyz = builder.shuffle_vector(wxy, wz8, ir.Constant(ir.VectorType(_I32, 8), [4, 5, 6, 7, 8, 9, 10, 11]))
        wx = _shuffle(builder, wxy, [0, 0, 1, 1, 2, 2, 3, 3])
        builder.store(wx, builder.bitcast(_record_ptr(builder, data, r_v, 0), _VEC.as_pointer()), align=4)
        builder.store(wyz, builder.bitcast(_record_ptr(builder, data, r_v, 8), _VEC.as_pointer()), align=4)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def bspline_stencil_f32(typingctx, vol, i, row, plane, rec, r):
    """(re, im) = Σ_a wz_a Σ_b wy_b Σ_c wx_c (G[i + a·plane + b·row + 2c], G[… + 1]).

    vol : 1-D float32 array of interleaved complex coefficients; i : uint64 flat float index of the
    stencil's first point; row, plane : uint64 float strides of y and z; rec, r : the float32
    array and index of the pixel's weight record (:func:`bspline_weights_f32`). Returns two float32.
    """
    sig = types.UniTuple(types.float32, 2)(vol, i, row, plane, rec, r)

    def codegen(context, builder, signature, args):
        vol_v, i_v, row_v, plane_v, rec_v, r_v = args
        data = context.make_array(signature.args[0])(context, builder, vol_v).data
        wdata = context.make_array(signature.args[4])(context, builder, rec_v).data
        fma8 = builder.module.declare_intrinsic("llvm.fma.v8f32", (), ir.FunctionType(_VEC, [_VEC] * 3))

        def broadcast(k):  # one weight of the record in all 8 lanes (a broadcast load)
            s = builder.load(_record_ptr(builder, wdata, r_v, k))
            return _shuffle(builder, builder.insert_element(ir.Constant(_VEC, ir.Undefined), s, ir.Constant(_I32, 0)), [0] * 8)

        wx = builder.load(builder.bitcast(_record_ptr(builder, wdata, r_v, 0), _VEC.as_pointer()), align=4, typ=_VEC)
        wys = [broadcast(8 + b) for b in range(4)]
        acc = None
        for a in range(4):
            base = builder.add(i_v, builder.mul(plane_v, ir.Constant(_I64, a)))
            plane_sum = None
            for b in range(4):
                ptr = builder.gep(data, [builder.add(base, builder.mul(row_v, ir.Constant(_I64, b)))])
                v = builder.load(builder.bitcast(ptr, _VEC.as_pointer()), align=4, typ=_VEC)
                plane_sum = builder.fmul(v, wys[b]) if b == 0 else builder.call(fma8, [v, wys[b], plane_sum])
            wza = broadcast(12 + a)
            acc = builder.fmul(plane_sum, wza) if a == 0 else builder.call(fma8, [plane_sum, wza, acc])
        prod = builder.fmul(acc, wx)
        half = builder.fadd(_shuffle(builder, prod, [0, 1, 2, 3]), _shuffle(builder, prod, [4, 5, 6, 7]))  # (r0+r2, i0+i2, r1+r3, i1+i3)
        pair = builder.fadd(_shuffle(builder, half, [0, 1]), _shuffle(builder, half, [2, 3]))
        re = builder.extract_element(pair, ir.Constant(_I32, 0))
        im = builder.extract_element(pair, ir.Constant(_I32, 1))
        return context.make_tuple(builder, signature.return_type, [re, im])

    return sig, codegen


@intrinsic
def prefetch_stencil(typingctx, vol, i, row, plane):
    """Ask the CPU to bring the 16 rows of the stencil at flat float index ``i`` of ``vol`` (strides
    ``row``, ``plane`` as in :func:`bspline_stencil_f32`) into its caches (``llvm.prefetch``, a hint:
    no effect on any result)."""
    sig = types.void(vol, i, row, plane)

    def codegen(context, builder, signature, args):
        vol_v, i_v, row_v, plane_v = args
        data = context.make_array(signature.args[0])(context, builder, vol_v).data
        i8p = ir.IntType(8).as_pointer()
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], ir.FunctionType(ir.VoidType(), [i8p, _I32, _I32, _I32]))
        for a in range(4):
            base = builder.add(i_v, builder.mul(plane_v, ir.Constant(_I64, a)))
            for b in range(4):
                ptr = builder.gep(data, [builder.add(base, builder.mul(row_v, ir.Constant(_I64, b)))])
                # read access, keep in all cache levels, data cache
                builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@nb.njit(cache=True)
def stencil_sum(vol, i, n, tx, ty, tz):
    """:func:`bspline_weights_f32` then :func:`bspline_stencil_f32` on a cubic grid of side ``n``
    (test entry point)."""
    rec = np.empty(RECORD, dtype=np.float32)
    bspline_weights_f32(np.float32(tx), np.float32(ty), np.float32(tz), rec, np.int64(0))
    return bspline_stencil_f32(vol, np.uint64(i), np.uint64(2 * n), np.uint64(2 * n * n), rec, np.int64(0))
