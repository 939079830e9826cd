"""An explicitly vectorised piece of the slicing kernel: the 4×4×4 cubic B-spline stencil sum.

Why by hand: a stencil row of a complex coefficient grid is 4 points × (re, im) = 8 contiguous
float32, exactly one 256-bit vector, but numba's LLVM pipeline leaves the 128 loads and products of
a stencil scalar. This intrinsic emits the 16 row loads as ``<8 x float>``, sums each z plane's four
rows with ``llvm.fma.v8f32`` against the broadcast y weights (four independent chains), combines
the planes with the z weights, applies the x weights lane-wise and folds the even (real) and odd
(imaginary) lanes with two shuffles. LLVM splits the vectors itself on machines without AVX.

Measured (GroEL 128×128, 2 cores): the whole render went from 0.64–0.89 ms per pattern (scalar) to
0.46–0.53 ms with one accumulator and scalar weight products; the plane-wise form with shuffled
weights takes the lookup alone from 0.35–0.47 to 0.29–0.40 ms (min of 7 runs, six repeats each).
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


@intrinsic
def bspline_stencil_f32(typingctx, vol, i, row, plane, wx, wy, wz):
    """(re, im) = Σ_a wz[a] Σ_b wy[b] Σ_c wx[c] (G[i + a·plane + b·row + 2c], G[… + 1]).

    vol : 1-D float32 array of interleaved complex coefficients; i : uint64 flat float index of the
    stencil's first point; row, plane : uint64 float strides of y and z; wx, wy, wz : 4-tuples of
    float32 weights. Returns two float32.
    """
    sig = types.UniTuple(types.float32, 2)(vol, i, row, plane, wx, wy, wz)

    def codegen(context, builder, signature, args):
        vol_v, i_v, row_v, plane_v, wx_v, wy_v, wz_v = args
        data = context.make_array(signature.args[0])(context, builder, vol_v).data
        fma = builder.module.declare_intrinsic("llvm.fma.v8f32", (), ir.FunctionType(_VEC, [_VEC] * 3))

        def shuffle(x, lanes):
            return builder.shuffle_vector(x, x, ir.Constant(ir.VectorType(_I32, len(lanes)), lanes))

        def vec4(t):  # <4 x float> of a 4-tuple
            v = ir.Constant(ir.VectorType(_F32, 4), ir.Undefined)
            for k in range(4):
                v = builder.insert_element(v, builder.extract_value(t, k), ir.Constant(_I32, k))
            return v

        wy4 = vec4(wy_v)
        wz4 = vec4(wz_v)
        wys = [shuffle(wy4, [b] * 8) for b in range(4)]
        acc = None
        for a in range(4):
            base = builder.add(i_v, builder.mul(plane_v, ir.Constant(_I64, a)))
            plane_sum = None
            for b in range(4):
                ptr = builder.gep(data, [builder.add(base, builder.mul(row_v, ir.Constant(_I64, b)))])
                v = builder.load(builder.bitcast(ptr, _VEC.as_pointer()), align=4, typ=_VEC)
                plane_sum = builder.fmul(v, wys[b]) if b == 0 else builder.call(fma, [v, wys[b], plane_sum])
            wza = shuffle(wz4, [a] * 8)
            acc = builder.fmul(plane_sum, wza) if a == 0 else builder.call(fma, [plane_sum, wza, acc])
        prod = builder.fmul(acc, shuffle(vec4(wx_v), [0, 0, 1, 1, 2, 2, 3, 3]))
        half = builder.fadd(shuffle(prod, [0, 1, 2, 3]), shuffle(prod, [4, 5, 6, 7]))  # (r0+r2, i0+i2, r1+r3, i1+i3)
        pair = builder.fadd(shuffle(half, [0, 1]), shuffle(half, [2, 3]))
        re = builder.extract_element(pair, ir.Constant(_I32, 0))
        im = builder.extract_element(pair, ir.Constant(_I32, 1))
        return context.make_tuple(builder, signature.return_type, [re, im])

    return sig, codegen


@nb.njit(inline="always")
def bspline_weights_f32(t):
    """Cubic B-spline weights (float32) of the grid points floor(u) − 1 … floor(u) + 2, t = u − floor(u)."""
    s = np.float32(1.0) - t
    t2 = t * t
    t3 = t2 * t
    k = np.float32(1.0 / 6.0)
    return (s * s * s * k, (np.float32(3.0) * t3 - np.float32(6.0) * t2 + np.float32(4.0)) * k,
            (np.float32(-3.0) * t3 + np.float32(3.0) * t2 + np.float32(3.0) * t + np.float32(1.0)) * k, t3 * k)


@nb.njit(cache=True)
def stencil_sum(vol, i, n, wx, wy, wz):
    """:func:`bspline_stencil_f32` on a cubic grid of side ``n`` (test entry point)."""
    return bspline_stencil_f32(vol, np.uint64(i), np.uint64(2 * n), np.uint64(2 * n * n), wx, wy, wz)
