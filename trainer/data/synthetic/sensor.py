"""The atmosphere and the camera, applied to the lit scene after its labels are fixed.

Real orthophotos differ from one flight to the next more than from one town to the next:
haze, white balance, exposure and tone curve, the mosaic of source frames with their
vignetting and exposure steps, optical blur and sharpening, sensor noise and JPEG
compression. Each is drawn per scene, so a model cannot rely on one camera's colours.
Labels are never touched here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

from .primitives import gaussian_blur, value_noise


@dataclass
class Camera:
    """One flight's atmosphere and camera."""

    haze: float  # share of airlight mixed in
    haze_colour: tuple[float, float, float]
    white_balance: tuple[float, float, float]  # per-channel gains
    exposure: float
    gamma: float
    contrast: float  # S-curve strength
    saturation: float
    vignetting: float  # darkening at a source frame's corners
    frame_px: float  # source frame size in the mosaic, pixels
    frame_exposure: float  # exposure differences between source frames (std)
    blur_sigma: float  # optics and motion, pixels
    sharpen: float  # unsharp-mask amount (orthophoto software sharpens: halos)
    read_noise: float
    shot_noise: float
    jpeg_quality: int  # 0 = stored without JPEG

    @classmethod
    def draw(cls, rng: np.random.Generator, gsd: float) -> Camera:
        warm = rng.normal(0, 0.04)  # colour temperature error: warm (+) or cool (-)
        tint = rng.normal(0, 0.02)  # green-magenta
        hazy = rng.uniform() < 0.5
        return cls(
            haze=rng.uniform(0.03, 0.3) if hazy else rng.uniform(0.0, 0.04),
            haze_colour=tuple(
                float(v) for v in rng.uniform(0.72, 0.9) * np.array((0.92, 0.96, 1.04))
            ),  # type: ignore[arg-type]
            white_balance=(1 + warm, 1 + tint, 1 - warm),
            exposure=float(np.exp(rng.normal(0.0, 0.22))),
            gamma=float(np.exp(rng.normal(0.0, 0.15))),
            contrast=rng.uniform(-0.15, 0.45),
            saturation=rng.uniform(0.6, 1.3),
            vignetting=rng.uniform(0.0, 0.35) if rng.uniform() < 0.6 else 0.0,
            frame_px=rng.uniform(0.25, 1.2) * 2000 * (0.05 / max(gsd, 0.02)) ** 0.5,
            frame_exposure=rng.uniform(0.0, 0.06),
            blur_sigma=rng.uniform(0.3, 1.4) if rng.uniform() < 0.8 else rng.uniform(1.4, 2.2),
            sharpen=rng.uniform(0.3, 1.2) if rng.uniform() < 0.4 else 0.0,
            read_noise=rng.uniform(0.002, 0.02),
            shot_noise=rng.uniform(0.005, 0.03),
            jpeg_quality=int(rng.integers(35, 95)) if rng.uniform() < 0.55 else 0,
        )

    def effects(self) -> list[str]:
        """The names of the effects this camera applies (for the scene's feature list)."""
        names = ["white_balance", "exposure", "gamma", "blur", "noise"]
        names += ["haze"] if self.haze > 0.02 else []
        names += ["vignetting"] if self.vignetting > 0 else []
        names += ["sharpening"] if self.sharpen > 0 else []
        names += ["jpeg"] if self.jpeg_quality else []
        return names


def _mosaic_gain(rng: np.random.Generator, camera: Camera, h: int, w: int) -> np.ndarray:
    """Each pixel comes from the nearest source frame: its exposure and its vignetting
    (worked out on a 4x coarser grid: both vary slowly)."""
    f = camera.frame_px
    ny, nx = int(h / f) + 2, int(w / f) + 2
    oy, ox = rng.uniform(0, f, 2)
    cy = (np.arange(ny) * f - oy)[:, None] + rng.normal(0, 0.1 * f, (ny, nx))
    cx = (np.arange(nx) * f - ox)[None, :] + rng.normal(0, 0.1 * f, (ny, nx))
    gains = np.exp(rng.normal(0, camera.frame_exposure, (ny, nx)))
    step = 4
    yy = np.arange(0, h, step, dtype=np.float64)[:, None] + step / 2
    xx = np.arange(0, w, step, dtype=np.float64)[None, :] + step / 2
    iy = np.clip(((yy + oy) / f).astype(np.int64), 0, ny - 1)
    ix = np.clip(((xx + ox) / f).astype(np.int64), 0, nx - 1)
    best = np.full((yy.size, xx.size), np.inf)
    gain = np.ones_like(best)
    for di in (0, 1):
        for dj in (0, 1):
            a = np.clip(iy + di, 0, ny - 1) + np.zeros_like(ix)
            b = np.clip(ix + dj, 0, nx - 1) + np.zeros_like(iy)
            d2 = ((yy - cy[a, b]) ** 2 + (xx - cx[a, b]) ** 2) / (0.75 * f) ** 2
            closer = d2 < best
            best = np.where(closer, d2, best)
            vignette = 1 - camera.vignetting * np.minimum(d2, 1.5)
            gain = np.where(closer, gains[a, b] * vignette, gain)
    full = np.repeat(np.repeat(gain.astype(np.float32), step, axis=0), step, axis=1)
    return full[:h, :w]


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Round-trip through baseline JPEG at ``quality`` (GDAL's libjpeg, in memory)."""
    from osgeo import gdal

    gdal.UseExceptions()
    h, w, _ = image.shape
    mem = gdal.GetDriverByName("MEM").Create("", w, h, 3, gdal.GDT_Byte)
    for b in range(3):
        mem.GetRasterBand(b + 1).WriteArray(image[..., b])
    path = f"/vsimem/synthetic_{uuid.uuid4().hex}.jpg"
    try:
        gdal.GetDriverByName("JPEG").CreateCopy(path, mem, options=[f"QUALITY={quality}"])
        ds = gdal.Open(path)
        out = np.stack([ds.GetRasterBand(b + 1).ReadAsArray() for b in range(3)], -1)
        ds = None
    finally:
        gdal.Unlink(path)
    return out


def expose(radiance: np.ndarray, camera: Camera, rng: np.random.Generator) -> np.ndarray:
    """Lit scene (float, about 0..1) -> what the orthophoto stores (uint8 RGB)."""
    h, w, _ = radiance.shape
    img = radiance
    airlight = np.asarray(camera.haze_colour, np.float32)
    # Haze thickens a little across the scene, as it does across a flight.
    haze = camera.haze * (1 + 0.3 * value_noise(rng, h, w, max(h, w) / 2))
    img = img * (1 - haze[..., None]) + airlight * haze[..., None]
    img = img * _mosaic_gain(rng, camera, h, w)[..., None]
    img = img * (np.asarray(camera.white_balance, np.float32) * camera.exposure)
    img = np.clip(img, 0, None)
    # Tone curve: gamma, an S-curve about mid-grey, a soft shoulder instead of hard clipping.
    img = img**camera.gamma
    img = img + camera.contrast * (img - 0.5) * np.clip(img * (1.5 - img), 0, None)
    img = np.where(img > 0.85, 0.85 + 0.15 * np.tanh((img - 0.85) / 0.15), img)
    grey = img.mean(axis=-1, keepdims=True)
    img = grey + camera.saturation * (img - grey)
    img = gaussian_blur(img, camera.blur_sigma)
    if camera.sharpen:
        img = img + camera.sharpen * (img - gaussian_blur(img, 1.5))
    # Noise: signal-dependent shot noise plus read noise, partly shared by the channels.
    level = np.sqrt(np.clip(img, 0, 1))
    common = rng.standard_normal((h, w, 1), dtype=np.float32)
    own = rng.standard_normal((h, w, 3), dtype=np.float32)
    img = img + (0.6 * common + 0.5 * own) * (camera.read_noise + camera.shot_noise * level)
    out = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    if camera.jpeg_quality:
        out = _jpeg(out, camera.jpeg_quality)
    return out
