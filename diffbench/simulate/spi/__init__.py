"""Single-particle imaging (``kind: spi``): the schema (:mod:`.schema`), particle species and
their shapes (:mod:`.species`, :mod:`.shapes`, :mod:`.volume`, :mod:`.atomic`), per-pattern planning
and rendering (:mod:`.engine`, :mod:`.seeding`, :mod:`.rings`), the numba kernels
(:mod:`.kernels`, :mod:`.vector_kernels`, :mod:`.trig_kernels`, :mod:`.kernels_api`,
:mod:`.atomic_kernels`) and their numpy twin (:mod:`.reference`), and the writer (:mod:`.run`:
render threads, worker processes)."""
