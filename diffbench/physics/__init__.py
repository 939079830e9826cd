"""Physics shared by every data kind, as pure functions and small tables: materials and their
electron densities (:mod:`~diffbench.physics.materials`), X-ray and electron (Mott–Bethe)
scattering factors (:mod:`~diffbench.physics.scattering_factors`,
:mod:`~diffbench.physics.electron`), analytic form factors (:mod:`~diffbench.physics.form_factors`),
ice polymorphs and their reflections (:mod:`~diffbench.physics.ice`), powder rings, amorphous
halos and crystal spots (:mod:`~diffbench.physics.rings`) and their radial tables on a detector
(:mod:`~diffbench.physics.radial`). SI units throughout (docs/conventions.md)."""
