"""Solid shapes with mmm symmetry in their reference orientation, voxelised with partial-volume
anti-aliasing, for the volume route.

Every shape here is symmetric under x→−x, y→−y, z→−z in its reference frame (sphere, cube,
superball, icosahedron with its 2-fold axes along x, y, z). Only the positive octant of the density
is voxelised, and the reciprocal volume keeps one octant of a real amplitude (see volume.py).

A shape is described by a *level function* g(r) that is < 0 inside, > 0 outside and changes by at
most |Δr| when r moves by Δr (1-Lipschitz), so a voxel whose centre has |g| > √3 Δx / 2 lies
entirely on one side; only the others are supersampled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

PHI = (1.0 + math.sqrt(5.0)) / 2.0


def superball_exponent(melt: float) -> float:
    """Exponent p of |x|^p + |y|^p + |z|^p ≤ a^p along the cube→sphere path: 1/p = melt/2.

    melt = 0 is the cube (p = ∞), melt = 1 the sphere (p = 2), melt = 0.5 gives p = 4.
    """
    if not 0.0 <= melt <= 1.0:
        raise ValueError(f"melt must be in [0, 1], got {melt!r}")
    return math.inf if melt == 0 else 2.0 / melt


def superball_volume(half_size_m: float, p: float) -> float:
    """Volume of the superball of half-size a: 8 a³ Γ(1+1/p)³ / Γ(1+3/p) (cube 8a³, sphere 4πa³/3)."""
    if math.isinf(p):
        return 8.0 * half_size_m**3
    return 8.0 * half_size_m**3 * math.gamma(1 + 1 / p) ** 3 / math.gamma(1 + 3 / p)


def icosahedron_vertices(circumradius: float = 1.0) -> np.ndarray:
    """The 12 vertices (0, ±1, ±φ) and cyclic permutations, scaled to the circumradius; 2-fold
    axes along x, y, z (so the coordinate planes are mirror planes)."""
    v = []
    for s1 in (-1, 1):
        for s2 in (-1, 1):
            v += [(0, s1, s2 * PHI), (s1, s2 * PHI, 0), (s2 * PHI, 0, s1)]
    v = np.array(v, dtype=float)
    return v * circumradius / np.linalg.norm(v[0])


def icosahedron_face_normals() -> np.ndarray:
    """The 20 outward unit face normals (the 3-fold axes), from the convex hull of the vertices."""
    from scipy.spatial import ConvexHull

    v = icosahedron_vertices()
    hull = ConvexHull(v)
    normals = hull.equations[:, :3]
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


#: inradius / circumradius of the regular icosahedron.
ICOSAHEDRON_IN_OVER_CIRCUM = PHI**2 / math.sqrt(3.0) / math.sqrt(1.0 + PHI**2)


class Shape:
    """Base: a set of regions, each with a level function and a scattering density."""

    #: half-extent of the bounding box (m): the shape lies in [-extent, extent]³.
    extent_m: float

    def regions(self):
        """List of (level_function, density) pairs; densities add where regions overlap."""
        raise NotImplementedError

    def voxelise_octant(self, dx_m: float, supersample: int = 4) -> np.ndarray:
        """Density on the positive octant, voxel centres at (i + ½)Δx, shape (n, n, n) [z, y, x].

        Each voxel holds the mean density over its cube (partial-volume anti-aliasing by
        ``supersample``³ sub-samples in voxels that the surface crosses).
        """
        n = int(math.ceil(self.extent_m / dx_m)) + 1
        c = (np.arange(n) + 0.5) * dx_m
        z, y, x = np.meshgrid(c, c, c, indexing="ij")
        out = np.zeros((n, n, n), dtype=np.complex128)
        half_diag = math.sqrt(3.0) * dx_m / 2.0
        offs = ((np.arange(supersample) + 0.5) / supersample - 0.5) * dx_m
        oz, oy, ox = (a.ravel() for a in np.meshgrid(offs, offs, offs, indexing="ij"))
        for level, density in self.regions():
            g = level(x, y, z)
            frac = (g < 0).astype(np.float64)
            edge = np.abs(g) <= half_diag
            ez, ey, ex = z[edge], y[edge], x[edge]
            # supersample the edge voxels in blocks to bound memory
            fr = np.empty(ez.size)
            step = max(1, 2_000_000 // oz.size)
            for s in range(0, ez.size, step):
                sl = slice(s, s + step)
                gz = ez[sl, None] + oz[None, :]
                gy = ey[sl, None] + oy[None, :]
                gx = ex[sl, None] + ox[None, :]
                fr[sl] = (level(gx, gy, gz) < 0).mean(axis=1)
            frac[edge] = fr
            out += density * frac
        return out


@dataclass
class Superball(Shape):
    """|x|^p + |y|^p + |z|^p ≤ a^p with p = superball_exponent(melt); a cube for melt = 0."""

    half_size_m: float
    melt: float
    density: complex = 1.0

    @property
    def p(self) -> float:
        return superball_exponent(self.melt)

    @property
    def extent_m(self) -> float:
        return self.half_size_m

    def regions(self):
        a, p = self.half_size_m, self.p

        def level(x, y, z):
            if math.isinf(p):
                return np.maximum(np.maximum(np.abs(x), np.abs(y)), np.abs(z)) - a
            # the p-norm is 1-Lipschitz for p ≥ 2 (it never exceeds the Euclidean norm)
            return (np.abs(x) ** p + np.abs(y) ** p + np.abs(z) ** p) ** (1.0 / p) - a

        return [(level, self.density)]


@dataclass
class Sphere(Shape):
    radius_m: float
    density: complex = 1.0

    @property
    def extent_m(self) -> float:
        return self.radius_m

    def regions(self):
        r = self.radius_m
        return [(lambda x, y, z: np.sqrt(x * x + y * y + z * z) - r, self.density)]


@dataclass
class IcosahedralShell(Shape):
    """Icosahedral capsid: outer icosahedron (circumradius R), a shell of thickness t (faces moved
    inwards by t) of density ``shell_density``, filled with ``inner_density``."""

    circumradius_m: float
    shell_thickness_m: float
    shell_density: complex = 1.0
    inner_density: complex = 0.5

    def __post_init__(self):
        if not 0 < self.shell_thickness_m < self.inradius_m:
            raise ValueError(
                f"shell_thickness_m must be in (0, inradius={self.inradius_m:.3e}), got {self.shell_thickness_m!r}"
            )

    @property
    def inradius_m(self) -> float:
        return self.circumradius_m * ICOSAHEDRON_IN_OVER_CIRCUM

    @property
    def extent_m(self) -> float:
        return self.circumradius_m

    @cached_property
    def _normals(self):
        return icosahedron_face_normals()

    def _level(self, inradius):
        normals = self._normals

        def level(x, y, z):
            # max over faces of (n·r) − r_in: exact distance to the nearest face plane inside,
            # a lower bound on the distance outside — 1-Lipschitz either way.
            g = np.full(np.shape(x), -np.inf)
            for n in normals:
                np.maximum(g, n[0] * x + n[1] * y + n[2] * z, out=g)
            return g - inradius

        return level

    def regions(self):
        r_in = self.inradius_m
        inner = r_in - self.shell_thickness_m
        return [
            (self._level(r_in), self.shell_density),
            (self._level(inner), self.inner_density - self.shell_density),
        ]

    def volume_m3(self) -> float:
        """Volume of the outer icosahedron: (5/12)(3+√5) e³ with edge e = R / sin(2π/5)."""
        e = self.circumradius_m / math.sin(2 * math.pi / 5)
        return 5.0 / 12.0 * (3 + math.sqrt(5)) * e**3
