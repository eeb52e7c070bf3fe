"""`manage.py import_residents residents.xlsx|residents.csv`: register the actual population."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grids.imports import ImportErrors, import_residents


class Command(BaseCommand):
    help = (
        "Import residents from a CSV or XLSX file with the columns name,id_number,gender,phone,"
        "micro_grid_code,household_number,address,special_population,key_person (at most 20 MB and "
        "100,000 rows). All or nothing: any invalid row aborts the import and lists every error."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            result = import_residents(path, path.name, progress=self._progress)
        except ImportErrors as exc:
            raise CommandError(f"{len(exc.errors)} error(s), nothing imported:\n{exc.summary(limit=200)}") from exc
        self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"created {result.created} residents; households created {result.households_created}, "
                f"reused {result.households_reused}"
            )
        )

    def _progress(self, done: int, total: int) -> None:
        self.stderr.write(f"\rwriting {done}/{total}", ending="")
        self.stderr.flush()
