"""Helcaraxe (Nolte et al., Acta Cryst. D 2022; paper 003): a CNN that reads ice-ring artefacts in
merged MX data from 80×80 histograms of intensity (or amplitude) against resolution, one per AUSPEX
ice range. :mod:`.plots` builds the plots and the blank-plot discriminator (numpy only),
:mod:`.network` the network (torch), :mod:`.estimator` the method. Importing this package does not
import torch."""
