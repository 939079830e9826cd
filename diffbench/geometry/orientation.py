"""Orientations as unit quaternions (w, x, y, z).

Convention (docs/conventions.md): a quaternion is the *active* rotation R that takes the particle from
its reference frame to the lab frame, r_lab = R r_particle. A pattern therefore samples the
particle's amplitude at F_particle(Rᵀ q_lab). Quaternions are stored with w ≥ 0 (q and −q are the
same rotation).
"""

from __future__ import annotations

import numpy as np


def random_quaternions(n: int, rng: np.random.Generator) -> np.ndarray:
    """n rotations uniform on SO(3) (Shoemake 1992, "Uniform random rotations"), shape (n, 4)."""
    return quaternions_from_uniforms(rng.random((3, n)))


def quaternions_from_uniforms(u: np.ndarray) -> np.ndarray:
    """Shoemake's map from three uniforms in [0, 1) per rotation, ``u`` of shape (3, n), to unit
    quaternions (n, 4) with w ≥ 0; uniform on SO(3) when the u are."""
    u1, u2, u3 = np.asarray(u, dtype=np.float64)
    n = u1.size
    a, b = np.sqrt(1.0 - u1), np.sqrt(u1)
    t2, t3 = 2.0 * np.pi * u2, 2.0 * np.pi * u3
    q = np.empty((n, 4))
    q[:, 0] = b * np.cos(t3)
    q[:, 1] = a * np.sin(t2)
    q[:, 2] = a * np.cos(t2)
    q[:, 3] = b * np.sin(t3)
    return canonical(q)


def canonical(q: np.ndarray) -> np.ndarray:
    """Normalise and flip sign so that w ≥ 0."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.sqrt(np.add.reduce(q * q, axis=-1, keepdims=True))  # np.linalg.norm's own sum
    np.negative(q, out=q, where=q[..., :1] < 0)
    return q


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of unit quaternions (..., 4) in (w, x, y, z) order."""
    q = np.asarray(q, dtype=np.float64)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def axis_angle_quaternion(axis, angle_rad: float) -> np.ndarray:
    """Quaternion (w, x, y, z) of a right-handed rotation by ``angle_rad`` about ``axis``."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    return canonical(np.concatenate([[np.cos(angle_rad / 2)], np.sin(angle_rad / 2) * axis]))


def quaternion_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a ⊗ b (broadcast over leading axes): the rotation ``b`` then ``a``, i.e. the
    quaternion of the matrix product R(a) R(b). Not renormalised."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack([aw * bw - ax * bx - ay * by - az * bz,
                     aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw], axis=-1)


def quaternion_conjugate(q: np.ndarray) -> np.ndarray:
    """The inverse rotation of unit quaternions (..., 4)."""
    q = np.array(q, dtype=np.float64)
    q[..., 1:] *= -1
    return q


def rotation_angle_rad(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distance on SO(3) between unit quaternions (broadcast): the angle of R(a)ᵀ R(b),
    2 arccos |a · b|, in [0, π]."""
    d = np.abs(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64), axis=-1))
    return 2.0 * np.arccos(np.clip(d, 0.0, 1.0))
