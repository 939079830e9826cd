"""Explicitly vectorised pieces of the slicing kernel: the 4×4×4 cubic B-spline stencil sum and
its weights.

Why by hand: a stencil row of a complex coefficient grid is 4 points × (re, im) = 8 contiguous
float32, exactly one 256-bit vector, but numba's LLVM pipeline leaves the 128 loads and products of
a stencil scalar. :func:`bspline_stencil_f32` emits the 16 row loads as ``<8 x float>``, sums each z
plane's four rows with ``llvm.fma.v8f32`` against the broadcast y weights (four independent
chains), combines the planes with the z weights, applies the x weights lane-wise and folds the even
(real) and odd (imaginary) lanes with two shuffles. It reads the twelve weights from a table that
:func:`bspline_weights_f32` filled beforehand, in a separate loop, eight pixels at a time (one
pixel per lane, one Horner evaluation per weight). LLVM splits the vectors itself on machines
without AVX.

The weights are computed in a loop of their own rather than inside the stencil so that the
stencil's dependency chain starts at the loads, not behind the Horner evaluations, and the CPU
overlaps more stencils; eight pixels per Horner pass use the same fused multiply-adds on the same
constants, so the bits are those of one pixel at a time. Timings: ``benchmarks/test_kernel_speed.py``
and the commit log.
Accumulation is float32 (the coefficients are float32): 64 terms, relative rounding ≲ 1e-6, far
below the B-spline's own 0.1 % interpolation error; the numpy reference tests check it.

Inside a ``fastmath=True`` caller (the render kernel) numba flags every floating-point instruction
of the function as fast, these included, so LLVM may reassociate the sum: a tree-shaped variant of
this stencil gave results bit-identical to this chain-shaped one inside ``render``, while the two
differ when called from a function compiled without fastmath (the tests' wrapper). The order of the
sum inside the kernel is therefore LLVM's choice, fixed for a given numba/LLVM version.

Importing this module imports numba and llvmlite; :mod:`diffbench.simulate.spi.kernels` does so lazily.
"""

from __future__ import annotations

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


#: lanes of the weights pass: it computes the weights of 8 consecutive pixels at once
LANES = 8


def _shuffle(builder, x, lanes):
    return builder.shuffle_vector(x, x, ir.Constant(ir.VectorType(_I32, len(lanes)), lanes))


def _weight_ptr(context, builder, w_type, w_v, k, r):
    """Pointer to W[k, r] of the C-contiguous float32 (12, CH) weight table ``w_v``."""
    wa = context.make_array(w_type)(context, builder, w_v)
    ch = builder.extract_value(wa.shape, 1)
    return builder.gep(wa.data, [builder.add(builder.mul(ch, ir.Constant(_I64, k)), r)])


@intrinsic
def bspline_weights_f32(typingctx, tx, ty, tz, j, w, r):
    """The 12 cubic B-spline weights of pixels j … j + 7, from their fractional positions tx, ty, tz
    (float32 arrays, readable up to j + 7), into columns r … r + 7 of the float32 table
    ``w`` (12, CH): rows 0–3 the x weights β(t + 1), β(t), β(1 − t), β(2 − t), rows 4–7 the y
    weights, rows 8–11 the z weights. Each weight is a Horner evaluation with ``llvm.fma.v8f32``,
    one pixel per lane."""
    sig = types.void(tx, ty, tz, j, w, r)

    def codegen(context, builder, signature, args):
        *ts, j_v, w_v, r_v = args
        fma8 = builder.module.declare_intrinsic("llvm.fma.v8f32", (), ir.FunctionType(_VEC, [_VEC] * 3))
        for axis in range(3):
            data = context.make_array(signature.args[axis])(context, builder, ts[axis]).data
            t = builder.load(builder.bitcast(builder.gep(data, [j_v]), _VEC.as_pointer()), align=4, typ=_VEC)
            for k in range(4):
                a, b, c, d = (_const([_HORNER[p][k]] * LANES) for p in range(4))
                v = builder.call(fma8, [builder.call(fma8, [builder.call(fma8, [a, t, b]), t, c]), t, d])
                ptr = _weight_ptr(context, builder, signature.args[4], w_v, 4 * axis + k, r_v)
                builder.store(v, builder.bitcast(ptr, _VEC.as_pointer()), align=4)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def bspline_stencil_f32(typingctx, vol, i, row, plane, w, r):
    """(re, im) = Σ_a wz_a Σ_b wy_b Σ_c wx_c (G[i + a·plane + b·row + 2c], G[… + 1]).

    vol : 1-D float32 array of interleaved complex coefficients; i : uint64 flat float index of the
    stencil's first point; row, plane : uint64 float strides of y and z; w, r : the weight table
    and the pixel's column in it (:func:`bspline_weights_f32`). Returns two float32.
    """
    sig = types.UniTuple(types.float32, 2)(vol, i, row, plane, w, r)

    def codegen(context, builder, signature, args):
        vol_v, i_v, row_v, plane_v, w_v, r_v = args
        data = context.make_array(signature.args[0])(context, builder, vol_v).data
        fma8 = builder.module.declare_intrinsic("llvm.fma.v8f32", (), ir.FunctionType(_VEC, [_VEC] * 3))

        def broadcast(k):  # W[k, r] in all 8 lanes (a broadcast load)
            s = builder.load(_weight_ptr(context, builder, signature.args[4], w_v, k, r_v))
            return _shuffle(builder, builder.insert_element(ir.Constant(_VEC, ir.Undefined), s, ir.Constant(_I32, 0)), [0] * 8)

        def blend(x, y, lanes):  # lanes 0-7 from x, 8-15 from y
            return builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(_I32, 8), lanes))

        wxs = [broadcast(c) for c in range(4)]  # x weights as (w0 w0 w1 w1 w2 w2 w3 w3), for (re, im) pairs
        wx = blend(blend(wxs[0], wxs[1], [0, 1, 10, 11, 4, 5, 6, 7]), blend(wxs[2], wxs[3], [0, 1, 2, 3, 4, 5, 14, 15]),
                   [0, 1, 2, 3, 12, 13, 14, 15])
        wys = [broadcast(4 + b) for b in range(4)]
        acc = None
        for a in range(4):
            base = builder.add(i_v, builder.mul(plane_v, ir.Constant(_I64, a)))
            plane_sum = None
            for b in range(4):
                ptr = builder.gep(data, [builder.add(base, builder.mul(row_v, ir.Constant(_I64, b)))])
                v = builder.load(builder.bitcast(ptr, _VEC.as_pointer()), align=4, typ=_VEC)
                plane_sum = builder.fmul(v, wys[b]) if b == 0 else builder.call(fma8, [v, wys[b], plane_sum])
            wza = broadcast(8 + a)
            acc = builder.fmul(plane_sum, wza) if a == 0 else builder.call(fma8, [plane_sum, wza, acc])
        prod = builder.fmul(acc, wx)
        half = builder.fadd(_shuffle(builder, prod, [0, 1, 2, 3]), _shuffle(builder, prod, [4, 5, 6, 7]))  # (r0+r2, i0+i2, r1+r3, i1+i3)
        pair = builder.fadd(_shuffle(builder, half, [0, 1]), _shuffle(builder, half, [2, 3]))
        re = builder.extract_element(pair, ir.Constant(_I32, 0))
        im = builder.extract_element(pair, ir.Constant(_I32, 1))
        return context.make_tuple(builder, signature.return_type, [re, im])

    return sig, codegen
