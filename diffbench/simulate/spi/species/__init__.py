"""Particle species of SPI recipes, one module per shape family, behind one interface
(:class:`~diffbench.simulate.spi.species.base.Species`) and one registry
(:func:`~diffbench.simulate.spi.species.base.get_shape`); the viewer draws particles through the
same classes."""

from diffbench.simulate.spi.species import atomic_model, cube, melting_cube, sphere, virus  # noqa: F401  (register)
from diffbench.simulate.spi.species.base import SHAPES, BuildContext, Draw, Species, get_shape


def build_species(name: str, cfg, table, q_max_m: float, photon_energy_ev: float, anomalous: bool, volume_cfg,
                  use_cache: bool = True) -> Species:
    """Prepare species ``name`` of a recipe: its amplitude source in ``table`` (volumes built or
    loaded from the cache here) and how its particles are drawn."""
    ctx = BuildContext(table, q_max_m, photon_energy_ev, anomalous, volume_cfg, use_cache)
    return get_shape(cfg.shape).build(name, cfg, ctx)


__all__ = ["SHAPES", "BuildContext", "Draw", "Species", "build_species", "get_shape"]
