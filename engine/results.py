"""What a segmentation run reports back: enough for a summary table without reopening files."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassArea:
    """Pixels and area of one class. ``band`` is the output band (1 = first model head)."""

    index: int
    name: str
    color: tuple[int, int, int]
    pixels: int
    area_m2: float
    percent: float
    band: int = 1


@dataclass
class SegmentationResult:
    output_path: str
    device: str
    backend: str
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    tiles_processed: int = 0
    tiles_skipped: int = 0
    class_areas: list[ClassArea] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # worth acting on
    notes: list[str] = field(default_factory=list)  # what was adapted, for information
    details: list[str] = field(default_factory=list)  # GDAL's own remarks: for the log only
    width: int = 0
    height: int = 0
    valid_pixels: int = 0
    pixel_area_m2: float | None = None

    def summary(self) -> str:
        """A few lines for logs and the CLI."""
        lines = [
            f"{self.output_path}: {self.width}x{self.height} px on {self.device} "
            f"({self.backend}) in {self.seconds:.1f} s, tiles {self.tiles_processed} run / "
            f"{self.tiles_skipped} skipped"
        ]
        for area in self.class_areas:
            head = f"[band {area.band}] " if area.band != 1 else ""
            lines.append(
                f"  {head}{area.index:3d} {area.name:<24} {area.percent:6.2f} %  "
                f"{area.area_m2:14.1f} m2"
            )
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)
