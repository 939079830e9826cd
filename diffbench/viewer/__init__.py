"""Latent-space viewer: Bokeh pages where each point is a pattern, linked to its image and to its
real-space particle (paper 004's latent-space viewer).

:mod:`~diffbench.viewer.viewdata` gathers what a page shows from a file (latent coordinates,
truth fields, thumbnails, real-space views); :mod:`~diffbench.viewer.page` lays it out as a static
HTML page, :mod:`~diffbench.viewer.app` serves it live.
"""
