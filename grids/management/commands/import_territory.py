"""`manage.py import_territory areas.csv [--geojson boundaries.geojson]`: load the territory tree."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grids.imports import ImportErrors, import_territory


class Command(BaseCommand):
    help = (
        "Import areas from a CSV (code,name,level,parent_code) and optionally their boundaries from a "
        "GeoJSON FeatureCollection (properties.code). Existing codes are updated (name, boundary). "
        "All or nothing: any invalid row aborts the import and lists every error."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("csv_path", type=Path)
        parser.add_argument("--geojson", type=Path, default=None, help="GeoJSON FeatureCollection of boundaries")

    def handle(self, *args, csv_path: Path, geojson: Path | None, **options) -> None:
        for path in filter(None, [csv_path, geojson]):
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        try:
            result = import_territory(csv_path, geojson, progress=self._progress)
        except ImportErrors as exc:
            raise CommandError(f"{len(exc.errors)} error(s), nothing imported:\n{exc.summary(limit=200)}") from exc
        self.stderr.write("")
        levels = ", ".join(f"{level} {count}" for level, count in result.created_by_level.items()) or "—"
        self.stdout.write(
            self.style.SUCCESS(
                f"created {result.created} ({levels}), updated {result.updated}, unchanged {result.unchanged}, "
                f"boundaries {result.boundaries}"
            )
        )

    def _progress(self, done: int, total: int) -> None:
        # One line rewritten in place, on stderr so that stdout stays the result.
        self.stderr.write(f"\rwriting {done}/{total}", ending="")
        self.stderr.flush()
