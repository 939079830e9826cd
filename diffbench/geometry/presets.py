"""Named detector geometries, as a registry keyed by the names users type.

Each entry is a function returning a :class:`~diffbench.geometry.detector.Detector`; recipes
refer to them with ``detector: {preset: NAME, ...overrides}``.
"""

from __future__ import annotations

from typing import Callable

from diffbench.geometry.detector import Detector, Panel

DETECTOR_PRESETS: dict[str, Callable[..., Detector]] = {}


def register_detector(name: str):
    def deco(fn):
        if name in DETECTOR_PRESETS:
            raise ValueError(f"detector preset {name!r} is already registered")
        DETECTOR_PRESETS[name] = fn
        return fn

    return deco


def make_detector(preset: str, **overrides) -> Detector:
    """Build a preset detector; keyword overrides replace single fields (e.g. distance_m)."""
    try:
        fn = DETECTOR_PRESETS[preset]
    except KeyError:
        raise KeyError(f"unknown detector preset {preset!r}; known: {', '.join(sorted(DETECTOR_PRESETS))}") from None
    det = fn()
    if overrides:
        fields = det.to_dict()
        fields.update(overrides)
        fields["name"] = preset + ("+custom" if overrides else "")
        det = detector_from_dict(fields, description=det.description)
    return det


def detector_from_dict(d: dict, description: str = "") -> Detector:
    d = dict(d)
    panels = tuple(Panel(*p) for p in d.pop("panels", []))
    d["beam_center_xy_px"] = tuple(d["beam_center_xy_px"])
    return Detector(panels=panels, description=description, **d)


@register_detector("pnccd-lcls-amo")
def pnccd_lcls_amo() -> Detector:
    """pnCCD at LCLS AMO as in paper 000 (PR772): the working (upper) 1024×512 panel, 75 µm pixels,
    0.130 m; the beam passes just below the middle of its lower edge (the gap to the dead lower
    panel), so a central hole of radius 1.2 mm shadows the first rows around it."""
    return Detector(nx=1024, ny=512, pixel_size_m=75e-6, distance_m=0.130,
                    beam_center_xy_px=(511.5, 6.0), beamstop_radius_m=1.2e-3,
                    saturation_photons=65535, name="pnccd-lcls-amo",
                    description=pnccd_lcls_amo.__doc__)


@register_detector("pnccd-amo86615")
def pnccd_amo86615() -> Detector:
    """pnCCD of paper 004's pysingfel sets (LCLS run amo86615): 4 panels of 512×512, 75 µm, at
    0.150 m, assembled to 1024×1040 with a 16-pixel horizontal gap through the beam, which is
    masked (CXI 'missing'); a central hole of radius 0.6 mm."""
    panels = (Panel(0, 0, 512, 512), Panel(512, 0, 512, 512), Panel(0, 528, 512, 512), Panel(512, 528, 512, 512))
    return Detector(nx=1024, ny=1040, pixel_size_m=75e-6, distance_m=0.150,
                    beam_center_xy_px=(511.5, 519.5), panels=panels, beamstop_radius_m=0.6e-3,
                    saturation_photons=65535, name="pnccd-amo86615", description=pnccd_amo86615.__doc__)


@register_detector("pnccd-amo86615-bin8")
def pnccd_amo86615_bin8() -> Detector:
    """The pnccd-amo86615 geometry binned 8×8 to 128×128 (600 µm pixels, the 2-row gap through the
    beam masked), same angles: the small frames of paper 004's latent-space work and of the GroEL
    speed benchmark."""
    panels = (Panel(0, 0, 64, 63), Panel(64, 0, 64, 63), Panel(0, 65, 64, 63), Panel(64, 65, 64, 63))
    return Detector(nx=128, ny=128, pixel_size_m=600e-6, distance_m=0.150,
                    beam_center_xy_px=(63.5, 63.5), panels=panels, beamstop_radius_m=0.6e-3,
                    saturation_photons=65535, name="pnccd-amo86615-bin8",
                    description=pnccd_amo86615_bin8.__doc__)


@register_detector("agipd-euxfel")
def agipd_euxfel() -> Detector:
    """AGIPD at EuXFEL SPB as in paper 001 (gold cubes): 200 µm pixels at 0.705 m, the central
    224×224 region used up to 2θ = 1.8° (beyond is masked 'outside_region'); the four quadrants
    leave a 4-pixel cross of gaps through a central hole of radius 1.0 mm."""
    n = 224
    g = 2
    c = n // 2
    panels = (Panel(0, 0, c - g, c - g), Panel(c + g, 0, n - c - g, c - g),
              Panel(0, c + g, c - g, n - c - g), Panel(c + g, c + g, n - c - g, n - c - g))
    return Detector(nx=n, ny=n, pixel_size_m=200e-6, distance_m=0.705,
                    beam_center_xy_px=(c - 0.5, c - 0.5), panels=panels, beamstop_radius_m=1.0e-3,
                    saturation_photons=65535, max_scattering_angle_deg=1.8, name="agipd-euxfel",
                    description=agipd_euxfel.__doc__)


@register_detector("square-64")
def square_64() -> Detector:
    """A small 64×64 detector of 200 µm pixels at 0.2 m, beam in the centre, no mask: for tests."""
    return Detector(nx=64, ny=64, pixel_size_m=200e-6, distance_m=0.2, beam_center_xy_px=(31.5, 31.5),
                    saturation_photons=65535, name="square-64", description=square_64.__doc__)


@register_detector("square-128")
def square_128() -> Detector:
    """A 128×128 detector of 300 µm pixels at 0.3 m with a central beamstop of radius 0.9 mm."""
    return Detector(nx=128, ny=128, pixel_size_m=300e-6, distance_m=0.3, beam_center_xy_px=(63.5, 63.5),
                    beamstop_radius_m=0.9e-3, saturation_photons=65535, name="square-128",
                    description=square_128.__doc__)



@register_detector("medipix3-512")
def medipix3_512() -> Detector:
    """A Medipix3 quad (ASI Cheetah) as in paper 002: 2×2 chips of 256×256 pixels of 55 µm at a
    90 cm (virtual) camera length; the cross-shaped gap between the chips (2 pixels wide) is masked,
    12-bit counters saturate at 4095. The beam sits off the gap, below and left of the middle."""
    c, g = 256, 1
    panels = (Panel(0, 0, c - g, c - g), Panel(c + g, 0, c - g, c - g),
              Panel(0, c + g, c - g, c - g), Panel(c + g, c + g, c - g, c - g))
    return Detector(nx=512, ny=512, pixel_size_m=55e-6, distance_m=0.90, beam_center_xy_px=(240.0, 244.0),
                    panels=panels, saturation_photons=4095, name="medipix3-512", description=medipix3_512.__doc__)


@register_detector("medipix3-512-bin4")
def medipix3_512_bin4() -> Detector:
    """The Medipix3 quad of ``medipix3-512`` binned 4×4 for quick runs (the quick configuration of the paper-002 task):
    128×128 pixels of 220 µm at 90 cm; the binned pixels that contain the chip gap (63 and 64 in x
    and y) are masked; 16 counters of 4095 saturate at 65520."""
    c = 63
    panels = (Panel(0, 0, c, c), Panel(c + 2, 0, c, c), Panel(0, c + 2, c, c), Panel(c + 2, c + 2, c, c))
    return Detector(nx=128, ny=128, pixel_size_m=220e-6, distance_m=0.90, beam_center_xy_px=(59.625, 60.625),
                    panels=panels, saturation_photons=65520, name="medipix3-512-bin4",
                    description=medipix3_512_bin4.__doc__)


@register_detector("jungfrau-wide-bin2")
def jungfrau_wide_bin2() -> Detector:
    """A wide-angle X-ray detector for water/ice scattering: 512×512 pixels of 150 µm (a 75 µm
    JUNGFRAU-like sensor binned 2×2) at 0.05 m, beam in the centre behind a 2 mm beamstop. At 8 keV
    the edges reach 2θ = 37.5° (d = 2.41 Å) and the corners 47° (1.93 Å): the liquid-water peak
    (3.1 Å) and the ice lines from 3.90 to 1.95 Å are on it."""
    return Detector(nx=512, ny=512, pixel_size_m=150e-6, distance_m=0.05, beam_center_xy_px=(255.5, 255.5),
                    beamstop_radius_m=2.0e-3, saturation_photons=65535, name="jungfrau-wide-bin2",
                    description=jungfrau_wide_bin2.__doc__)
