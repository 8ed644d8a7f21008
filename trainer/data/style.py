"""Style adaptation: the colour and light of a user's own unlabelled orthophotos, mixed into
labelled (synthetic) training tiles.

Two methods, both on batches of float [0, 1] tensors on the training device:

- ``fda``: Fourier Domain Adaptation (Yang & Soatto, CVPR 2020). The tile keeps its phase
  (its shapes and edges, so its labels stay true) and takes the reference's amplitude in a
  small low-frequency square around the origin (``beta`` of the shorter side): the overall
  colour, brightness and slow illumination gradients of real imagery.
- ``histogram``: per-channel histogram matching to the reference (the tile's value ranks
  keep their order; their values become the reference's at the same quantile).

References are read once from a folder of GeoTIFFs (or any raster GDAL reads) at the
training data's GSD, so a reference's low frequencies mean the same ground scale as the
tile's. Labels are never touched; only training batches are styled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

RASTER_SUFFIXES = {".tif", ".tiff", ".jpg", ".jpeg", ".png", ".jp2", ".vrt", ".img"}
STYLE_METHODS = ("fda", "histogram")


def _read_reference(path: Path, gsd_m: float | None, side: int, seed: int) -> np.ndarray | None:
    """A window of at most ``side`` x ``side`` px of the raster's first three bands at
    ``gsd_m`` (averaged), float32 [0, 1], HxWx3; invalid pixels filled with the valid mean."""
    from osgeo import gdal

    gdal.UseExceptions()
    try:
        ds = gdal.Open(str(path))
    except RuntimeError:
        return None
    if ds is None or ds.RasterCount < 3:
        return None
    pixel = abs(ds.GetGeoTransform()[1]) if ds.GetGeoTransform() else 0.0
    zoom = pixel / gsd_m if gsd_m and pixel > 0 and ds.GetProjection() else 1.0
    width, height = max(1, round(ds.RasterXSize * zoom)), max(1, round(ds.RasterYSize * zoom))
    w, h = min(width, side), min(height, side)
    rng = np.random.default_rng(seed)
    x0 = int(rng.integers(0, width - w + 1))
    y0 = int(rng.integers(0, height - h + 1))
    xoff, yoff = int(x0 / zoom), int(y0 / zoom)
    window = dict(
        xoff=xoff, yoff=yoff,
        win_xsize=min(max(1, round(w / zoom)), ds.RasterXSize - xoff),
        win_ysize=min(max(1, round(h / zoom)), ds.RasterYSize - yoff),
        buf_xsize=w, buf_ysize=h, resample_alg=gdal.GRIORA_Average,
    )  # fmt: skip
    bands, valid = [], np.ones((h, w), bool)
    for b in (1, 2, 3):
        band = ds.GetRasterBand(b)
        bands.append(band.ReadAsArray(**window).astype(np.float32))
        mask = band.GetMaskBand().ReadAsArray(**window)
        valid &= mask > 0
    if not valid.any():
        return None
    image = np.stack(bands, -1)
    top = (
        255.0
        if ds.GetRasterBand(1).DataType == gdal.GDT_Byte
        else np.percentile(image[valid], 99.8)
    )
    image = np.clip(image / max(float(top), 1e-6), 0, 1)
    image[~valid] = image[valid].mean(axis=0)
    return image


@dataclass
class StyleBank:
    """Reference images (C, H, W float [0, 1] tensors) and how to apply them."""

    references: list[torch.Tensor]
    method: str = "fda"
    probability: float = 0.5
    beta: float = 0.01

    @classmethod
    def from_folder(
        cls,
        folder: str | Path,
        method: str = "fda",
        probability: float = 0.5,
        beta: float = 0.01,
        gsd_m: float | None = None,
        side: int = 1024,
        max_images: int = 64,
    ) -> StyleBank:
        folder = Path(folder)
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in RASTER_SUFFIXES)
        references = []
        for k, path in enumerate(files[:max_images]):
            image = _read_reference(path, gsd_m, side, seed=k)
            if image is not None and min(image.shape[:2]) >= 8:
                references.append(torch.from_numpy(image).permute(2, 0, 1).contiguous())
        if not references:
            raise ValueError(
                f"[augment] style_dir: no readable RGB rasters in {folder} "
                f"(looked for {', '.join(sorted(RASTER_SUFFIXES))})"
            )
        return cls(references, method, probability, beta)

    def apply(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Style each image (N, C, H, W in [0, 1]) with ``probability`` after a random
        reference; the choices come from ``generator`` only."""
        out = []
        for image in images:
            use = float(torch.rand((), generator=generator)) < self.probability
            k = int(torch.randint(0, len(self.references), (), generator=generator))
            if use:
                ref = _fit(
                    self.references[k].to(image.device, image.dtype), image.shape[-2:], generator
                )
                image = (
                    fda(image, ref, self.beta)
                    if self.method == "fda"
                    else match_histograms(image, ref)
                )
            out.append(image)
        return torch.stack(out)


def style_bank(augment, resolution_cm: float | None) -> StyleBank | None:
    """The bank an ``[augment]`` config asks for (None without ``style_dir``)."""
    if not augment.style_dir:
        return None
    gsd = resolution_cm / 100 if resolution_cm else None
    return StyleBank.from_folder(
        augment.style_dir, augment.style_method, augment.style_probability, augment.style_beta, gsd
    )


def _fit(reference: torch.Tensor, size, generator: torch.Generator) -> torch.Tensor:
    """A random crop of the reference the tile's size (resized up if it is smaller)."""
    h, w = int(size[0]), int(size[1])
    _, rh, rw = reference.shape
    if rh < h or rw < w:
        scale = max(h / rh, w / rw)
        reference = F.interpolate(
            reference[None],
            size=(math.ceil(rh * scale), math.ceil(rw * scale)),
            mode="bilinear",
            align_corners=False,
        )[0]
        _, rh, rw = reference.shape
    y = int(torch.randint(0, rh - h + 1, (), generator=generator))
    x = int(torch.randint(0, rw - w + 1, (), generator=generator))
    return reference[:, y : y + h, x : x + w]


def low_frequency_mask(h: int, w: int, beta: float, device=None) -> torch.Tensor:
    """True on the FFT's low frequencies: a square of half-side ``floor(beta * min(h, w))``
    around the origin (in unshifted FFT order), as in FDA."""
    b = math.floor(min(h, w) * beta)
    fy = torch.fft.fftfreq(h, d=1.0 / h, device=device).abs()
    fx = torch.fft.fftfreq(w, d=1.0 / w, device=device).abs()
    return (fy[:, None] <= b) & (fx[None, :] <= b)


def fda(source: torch.Tensor, reference: torch.Tensor, beta: float) -> torch.Tensor:
    """The source (C, H, W) with the reference's low-frequency amplitude (same size)."""
    spectrum = torch.fft.fft2(source.float())
    amplitude, phase = spectrum.abs(), spectrum.angle()
    ref_amplitude = torch.fft.fft2(reference.float()).abs()
    low = low_frequency_mask(*source.shape[-2:], beta, device=source.device)
    amplitude = torch.where(low, ref_amplitude, amplitude)
    styled = torch.fft.ifft2(torch.polar(amplitude, phase)).real
    return styled.clamp(0, 1).to(source.dtype)


def match_histograms(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Each channel of the source given the reference's values at the same quantiles."""
    c = source.shape[0]
    flat = source.reshape(c, -1)
    ref_sorted = reference.reshape(c, -1).sort(dim=1).values
    ranks = flat.argsort(dim=1).argsort(dim=1).to(torch.float32)
    n, m = flat.shape[1], ref_sorted.shape[1]
    index = (ranks * ((m - 1) / max(n - 1, 1))).round().long()
    return torch.gather(ref_sorted, 1, index).reshape(source.shape)
