"""Bulk imports: the territory tree (CSV + optional GeoJSON) and the actual population (CSV or XLSX).

Both importers read and validate the whole file first and write all or nothing, in one transaction,
with bulk inserts. An invalid file raises `ImportErrors`, which lists every problem found as
(row, field, message).

Row numbers are the ones a spreadsheet shows: the header is row 1, so the first data row is row 2.
For GeoJSON problems, `row` is the feature's position in the FeatureCollection (1-based) and the
field starts with "geojson". Row 0 means the file as a whole.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity
from stdnum.cn import ric

from .geo import centroid_of
from .models import (
    LEVEL_ORDER,
    PARENT_LEVEL,
    Area,
    Gender,
    Household,
    Level,
    Resident,
    SpecialPopulation,
)
from .selectors import forget_area_choices
from .services import area_path_for
from .validators import normalize_id_number, normalize_phone

Progress = Callable[[int, int], None]
Source = str | Path | bytes | IO[bytes] | IO[str]

MAX_RESIDENT_FILE_BYTES = 20 * 1024 * 1024
MAX_RESIDENT_ROWS = 100_000
BATCH_SIZE = 1000
MAX_BLANK_XLSX_ROWS = 10_000
# Codes become segments of the materialised path, so "/" and spaces are not allowed.
CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
# Shared edges of neighbouring polygons are rarely bit-identical in real survey data.
CONTAINMENT_TOLERANCE_DEG = 1e-7

TERRITORY_COLUMNS = ["code", "name", "level", "parent_code"]
# The full template, in order (for a downloadable sample sheet); only some are required.
RESIDENT_COLUMNS = [
    "name",
    "id_number",
    "gender",
    "phone",
    "micro_grid_code",
    "household_number",
    "address",
    "special_population",
    "key_person",
]
REQUIRED_RESIDENT_COLUMNS = ["name", "id_number", "micro_grid_code"]
# Spreadsheets prepared by hand usually carry Chinese headers.
HEADER_ALIASES = {
    "编码": "code",
    "区域编码": "code",
    "名称": "name",
    "区域名称": "name",
    "层级": "level",
    "上级编码": "parent_code",
    "姓名": "name",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "性别": "gender",
    "手机号": "phone",
    "电话": "phone",
    "联系电话": "phone",
    "微网格编码": "micro_grid_code",
    "户号": "household_number",
    "地址": "address",
    "住址": "address",
    "特殊人群": "special_population",
    "重点人员": "key_person",
}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "t"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "f"}


class RowError(NamedTuple):
    """One problem in an import file: where it is and what is wrong."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        if self.field.startswith("geojson"):
            return _("GeoJSON 第 %(row)s 个要素 %(field)s: %(message)s") % self._asdict()
        if self.row == 0:
            return _("文件 %(field)s: %(message)s") % self._asdict()
        return _("第 %(row)s 行 %(field)s: %(message)s") % self._asdict()


class ImportErrors(Exception):
    """The file is invalid; nothing was written. `errors` lists every problem found."""

    def __init__(self, errors: Iterable[tuple[int, str, str]]) -> None:
        self.errors: list[RowError] = sorted(
            (RowError(*e) for e in errors), key=lambda e: (e.field.startswith("geojson"), e.row)
        )
        super().__init__(self.summary())

    def messages(self) -> list[str]:
        return [str(e) for e in self.errors]

    def summary(self, limit: int = 50) -> str:
        lines = [str(e) for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(_("……另有 %(n)s 处错误") % {"n": len(self.errors) - limit})
        return "\n".join(lines)


# --------------------------------------------------------------------------- reading files


def _read_bytes(source: Source, limit: int | None = None) -> bytes:
    """The file's content, from a path, bytes or an open (binary or text) file.

    With a limit, reads at most limit + 1 bytes, so an oversized upload is refused without being
    held in memory whole.
    """
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        with open(source, "rb") as fh:
            return fh.read(-1 if limit is None else limit + 1)
    if hasattr(source, "seek"):
        try:
            source.seek(0)
        except (OSError, ValueError):
            pass
    data = source.read(-1 if limit is None else limit + 1)
    return data.encode("utf-8") if isinstance(data, str) else data


def _header_key(value: Any) -> str:
    text = str(value or "").strip().lstrip("\ufeff")
    return HEADER_ALIASES.get(text, text.lower())


def _check_header(header: list[str], required: list[str]) -> dict[str, int]:
    """Column positions by English name; a missing required column is fatal for the whole file."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        if name and name not in positions:
            positions[name] = index
    missing = [c for c in required if c not in positions]
    if missing:
        raise ImportErrors(
            [(1, ", ".join(missing), _("缺少必需的列;需要的列为 %(columns)s") % {"columns": ", ".join(required)})]
        )
    return positions


def _decode_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel on Chinese Windows saves "CSV" as GB18030; say so rather than guess.
        raise ImportErrors([(0, "encoding", _("文件不是 UTF-8 编码,请另存为 UTF-8 CSV"))]) from exc
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportErrors([(0, "format", _("CSV 格式错误:%(error)s") % {"error": exc})]) from exc


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person typed (ID numbers and phones often arrive as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits: an 18-digit ID number typed as a number is already
        # damaged, and will fail its check digit below.
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes, max_rows: int | None) -> list[list[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or disguised upload can fail in many ways inside openpyxl
        raise ImportErrors([(0, "format", _("不是有效的 XLSX 文件"))]) from exc
    try:
        if not workbook.worksheets:
            return []
        rows: list[list[str]] = []
        filled = blank_run = 0
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            cells = [_cell_text(v) for v in values]
            if any(cells):
                filled, blank_run = filled + 1, 0
            else:
                # Formatted but empty rows can run to the sheet's last row; a long gap ends the data.
                blank_run += 1
                if blank_run > MAX_BLANK_XLSX_ROWS:
                    break
            rows.append(cells)
            if max_rows is not None and filled > max_rows + 1:
                break
        return rows
    except ImportErrors:
        raise
    except Exception as exc:
        raise ImportErrors([(0, "format", _("不是有效的 XLSX 文件"))]) from exc
    finally:
        workbook.close()


def _table(rows: list[list[str]], required: list[str], max_rows: int | None = None) -> Iterator[tuple[int, dict]]:
    """(row number, {column: stripped text}) for every non-blank data row."""
    if not rows:
        raise ImportErrors([(0, "header", _("文件为空"))])
    positions = _check_header([_header_key(h) for h in rows[0]], required)
    data_rows = sum(1 for values in rows[1:] if any((v or "").strip() for v in values))
    if max_rows is not None and data_rows > max_rows:
        raise ImportErrors([(0, "rows", _("数据超过 %(max)s 行的上限,请拆分后分批导入") % {"max": max_rows})])
    for offset, values in enumerate(rows[1:]):
        if not any((v or "").strip() for v in values):
            continue
        record = {
            name: (values[index].strip() if index < len(values) and values[index] else "")
            for name, index in positions.items()
        }
        yield offset + 2, record


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _chunks(items: list, size: int = 900) -> Iterator[list]:
    # SQLite limits the number of parameters in one query.
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- territory

LEVEL_ALIASES = {
    "区": Level.DISTRICT,
    "县": Level.DISTRICT,
    "镇": Level.TOWN,
    "街道": Level.TOWN,
    "苏木": Level.TOWN,
    "村": Level.VILLAGE,
    "社区": Level.VILLAGE,
    "嘎查": Level.VILLAGE,
}


@dataclass
class TerritoryImportResult:
    """What an import did: areas created and updated, and boundaries set."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    boundaries: int = 0
    created_by_level: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _AreaRow:
    row: int
    code: str
    name: str
    level: str
    parent_code: str
    existing: Area | None = None
    path: str = ""


@dataclass
class _Feature:
    number: int
    code: str
    geometry: dict
    geom: Any


def _label_aliases(choices: type[models.TextChoices]) -> dict[str, str]:
    """Labels in the source language (Chinese) and in the active language, mapped to values.

    Built on use, not at import, because labels are lazy translations."""
    aliases = {}
    with translation.override(None):
        aliases |= {str(label): value for value, label in choices.choices if value}
    aliases |= {str(label).lower(): value for value, label in choices.choices if value}
    return aliases


def _level_value(text: str) -> str | None:
    value = text.strip()
    if value in LEVEL_ORDER:
        return value
    aliases = LEVEL_ALIASES | _label_aliases(Level)
    return aliases.get(value) or aliases.get(value.lower())


def _level_label(level: str) -> str:
    return str(Level(level).label) if level in LEVEL_ORDER else level


def _parse_territory_rows(rows: Iterable[tuple[int, dict]], errors: list) -> tuple[list[_AreaRow], set[str]]:
    """Rows that are well-formed on their own, and every code the file mentions (even on bad rows)."""
    parsed: list[_AreaRow] = []
    first_row_of: dict[str, int] = {}
    for number, record in rows:
        code, name = record.get("code", ""), record.get("name", "")
        level_text, parent_code = record.get("level", ""), record.get("parent_code", "")
        ok = True
        if not code:
            errors.append((number, "code", _("编码不能为空")))
            ok = False
        elif not CODE_RE.match(code):
            errors.append((number, "code", _("编码 %(code)s 只能包含字母、数字、- 和 _,最长 32 位") % {"code": code}))
            ok = False
        elif code in first_row_of:
            errors.append(
                (number, "code", _("编码 %(code)s 与第 %(first)s 行重复") % {"code": code, "first": first_row_of[code]})
            )
            ok = False
        if not name:
            errors.append((number, "name", _("名称不能为空")))
            ok = False
        elif len(name) > 100:
            errors.append((number, "name", _("名称最长 100 字")))
            ok = False
        level = _level_value(level_text)
        if level is None:
            errors.append(
                (
                    number,
                    "level",
                    _("层级 %(level)s 无效,应为 %(choices)s之一")
                    % {"level": level_text or "—", "choices": ", ".join(LEVEL_ORDER)},
                )
            )
            ok = False
        if code and code not in first_row_of:
            first_row_of[code] = number
        if ok:
            parsed.append(_AreaRow(row=number, code=code, name=name, level=level, parent_code=parent_code))
    return parsed, set(first_row_of)


def _parse_geojson(source: Source, errors: list) -> list[_Feature]:
    try:
        document = json.loads(_read_bytes(source).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        errors.append((0, "geojson", _("GeoJSON 无法解析:%(error)s") % {"error": exc}))
        return []
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        errors.append((0, "geojson", _("GeoJSON 应为 FeatureCollection")))
        return []
    features: list[_Feature] = []
    first_of: dict[str, int] = {}
    for number, feature in enumerate(document.get("features") or [], start=1):
        properties = (feature or {}).get("properties") or {}
        code = str(properties.get("code") or "").strip()
        if not code:
            errors.append((number, "geojson.properties.code", _("缺少区域编码 properties.code")))
            continue
        if code in first_of:
            errors.append(
                (
                    number,
                    "geojson.properties.code",
                    _("编码 %(code)s 与第 %(first)s 个要素重复") % {"code": code, "first": first_of[code]},
                )
            )
            continue
        first_of[code] = number
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            errors.append(
                (
                    number,
                    "geojson.geometry",
                    _("区域 %(code)s 的几何类型应为 Polygon 或 MultiPolygon") % {"code": code},
                )
            )
            continue
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            errors.append((number, "geojson.geometry", _("区域 %(code)s 的坐标格式错误") % {"code": code}))
            continue
        if geom.is_empty or not geom.is_valid:
            reason = explain_validity(geom) if not geom.is_empty else "empty"
            errors.append(
                (
                    number,
                    "geojson.geometry",
                    _("区域 %(code)s 的边界无效:%(reason)s") % {"code": code, "reason": reason},
                )
            )
            continue
        features.append(
            _Feature(
                number=number,
                code=code,
                geometry={"type": geometry["type"], "coordinates": geometry["coordinates"]},
                geom=geom,
            )
        )
    return features


def import_territory(
    csv_file: Source, geojson_file: Source | None = None, progress: Progress | None = None
) -> TerritoryImportResult:
    """Add areas to the territory tree from a CSV (code,name,level,parent_code) and their boundaries
    from a GeoJSON FeatureCollection (properties.code).

    Parents may be earlier or later in the same file, or already in the database. An area whose code
    already exists is updated: its name, and its boundary when the GeoJSON has one (an existing
    boundary is kept otherwise). Its level and parent must stay as they are, since moving a subtree
    would rewrite every path below it. GeoJSON features may also carry boundaries for areas that
    are in the database but not in the CSV. A micro-grid's boundary must lie inside its grid's.
    """
    errors: list[tuple[int, str, str]] = []
    rows, codes_in_file = _parse_territory_rows(_table(_decode_csv(_read_bytes(csv_file)), TERRITORY_COLUMNS), errors)
    features = _parse_geojson(geojson_file, errors) if geojson_file is not None else []

    by_code = {r.code: r for r in rows}
    wanted = set(by_code) | {r.parent_code for r in rows if r.parent_code} | {f.code for f in features}
    in_db: dict[str, Area] = {}
    for chunk in _chunks(sorted(wanted)):
        for area in Area.objects.filter(code__in=chunk).select_related("parent"):
            in_db[area.code] = area

    for r in rows:
        r.existing = in_db.get(r.code)
        if r.existing is not None:
            existing_parent = r.existing.parent.code if r.existing.parent else ""
            if r.existing.level != r.level:
                errors.append(
                    (
                        r.row,
                        "level",
                        _("编码 %(code)s 已存在且层级为 %(level)s,导入不能改变层级")
                        % {"code": r.code, "level": _level_label(r.existing.level)},
                    )
                )
                continue
            if existing_parent != r.parent_code:
                errors.append(
                    (
                        r.row,
                        "parent_code",
                        _("编码 %(code)s 已存在且上级为 %(parent)s,导入不能移动区域")
                        % {"code": r.code, "parent": existing_parent or "—"},
                    )
                )
                continue
        expected_parent_level = PARENT_LEVEL.get(r.level)
        if expected_parent_level is None:
            if r.parent_code:
                errors.append((r.row, "parent_code", _("区县是最高层级,不能有上级")))
            continue
        if not r.parent_code:
            errors.append((r.row, "parent_code", _("上级编码不能为空")))
            continue
        parent = by_code.get(r.parent_code) or in_db.get(r.parent_code)
        if parent is None and r.parent_code in codes_in_file:
            continue  # the parent's own row is wrong and already reported
        if parent is None:
            errors.append((r.row, "parent_code", _("上级编码 %(code)s 不存在") % {"code": r.parent_code}))
        elif parent.level != expected_parent_level:
            errors.append(
                (
                    r.row,
                    "parent_code",
                    _("上级 %(code)s 是%(parent_level)s,%(level)s的上级应为%(expected)s")
                    % {
                        "code": r.parent_code,
                        "parent_level": _level_label(parent.level),
                        "level": _level_label(r.level),
                        "expected": _level_label(expected_parent_level),
                    },
                )
            )

    # Paths, top-down, so that a parent's path is known before its children's.
    rows.sort(key=lambda r: (LEVEL_ORDER.index(r.level), r.row))
    if not errors:
        for r in rows:
            parent_path = by_code[r.parent_code].path if r.parent_code in by_code else ""
            if not parent_path and r.parent_code:
                parent_path = in_db[r.parent_code].path
            r.path = f"{parent_path}{r.code}/"
            if len(r.path) > 255:
                errors.append((r.row, "code", _("区域层级路径过长(超过 255 字符)")))

    geoms = {f.code: f for f in features}
    for f in features:
        if f.code not in by_code and f.code not in in_db:
            errors.append(
                (
                    f.number,
                    "geojson.properties.code",
                    _("区域编码 %(code)s 不在 CSV 中,也不在系统中") % {"code": f.code},
                )
            )
    errors.extend(_containment_errors(rows=rows, by_code=by_code, in_db=in_db, geoms=geoms))

    if errors:
        raise ImportErrors(errors)
    return _write_territory(rows=rows, in_db=in_db, geoms=geoms, progress=progress)


def _containment_errors(
    *, rows: list[_AreaRow], by_code: dict[str, _AreaRow], in_db: dict[str, Area], geoms: dict[str, _Feature]
) -> list[tuple[int, str, str]]:
    """Micro-grids whose boundary is not inside their grid's: a pin there would route wrongly."""
    errors: list[tuple[int, str, str]] = []

    def level_of(code: str) -> str | None:
        return by_code[code].level if code in by_code else (in_db[code].level if code in in_db else None)

    def parent_code_of(code: str) -> str:
        if code in by_code:
            return by_code[code].parent_code
        parent = in_db[code].parent if code in in_db else None
        return parent.code if parent else ""

    def boundary_of(code: str):
        if code in geoms:
            return geoms[code].geom
        area = in_db.get(code)
        if area is not None and area.boundary:
            try:
                return shape(area.boundary)
            except (ValueError, TypeError, KeyError, AttributeError):
                return None
        return None

    def check(micro_code: str, micro_geom, grid_code: str, number: int) -> None:
        grid_geom = boundary_of(grid_code)
        if grid_geom is None or micro_geom is None:
            return
        if not grid_geom.buffer(CONTAINMENT_TOLERANCE_DEG).contains(micro_geom):
            errors.append(
                (
                    number,
                    "geojson.geometry",
                    _("微网格 %(code)s 的边界超出了上级网格 %(parent)s 的边界")
                    % {"code": micro_code, "parent": grid_code},
                )
            )

    for code, feature in geoms.items():
        if level_of(code) == Level.MICRO_GRID:
            check(code, feature.geom, parent_code_of(code), feature.number)
    # A grid whose boundary changes must still hold the micro-grids already recorded under it.
    changed_grids = {code: f for code, f in geoms.items() if level_of(code) == Level.GRID and code in in_db}
    if changed_grids:
        children = Area.objects.filter(parent__code__in=list(changed_grids), level=Level.MICRO_GRID).select_related(
            "parent"
        )
        for child in children.iterator(chunk_size=2000):
            if child.code in geoms or not child.boundary:
                continue
            check(child.code, shape(child.boundary), child.parent.code, changed_grids[child.parent.code].number)
    return errors


@transaction.atomic
def _write_territory(
    *, rows: list[_AreaRow], in_db: dict[str, Area], geoms: dict[str, _Feature], progress: Progress | None
) -> TerritoryImportResult:
    result = TerritoryImportResult()
    # A fresh updated_at on every touched area changes the locate index's version, so it rebuilds.
    now = timezone.now()
    csv_codes = {r.code for r in rows}
    total = len(rows) + len([c for c in geoms if c not in csv_codes])
    done = 0
    areas: dict[str, Area] = dict(in_db)
    to_update: list[Area] = []

    def boundary_fields(code: str) -> dict:
        feature = geoms.get(code)
        if feature is None:
            return {}
        lat, lng = centroid_of(feature.geometry)
        return {"boundary": feature.geometry, "centroid_lat": lat, "centroid_lng": lng}

    for level in LEVEL_ORDER:
        new_areas = []
        for r in (r for r in rows if r.level == level):
            extra = boundary_fields(r.code)
            if r.existing is None:
                new_areas.append(
                    Area(
                        code=r.code,
                        name=r.name,
                        level=r.level,
                        parent=areas[r.parent_code] if r.parent_code else None,
                        path=area_path_for(code=r.code, parent=areas[r.parent_code] if r.parent_code else None),
                        updated_at=now,
                        **extra,
                    )
                )
            elif r.existing.name != r.name or extra:
                r.existing.name = r.name
                for key, value in extra.items():
                    setattr(r.existing, key, value)
                r.existing.updated_at = now
                to_update.append(r.existing)
            else:
                result.unchanged += 1
        for chunk in _chunks(new_areas, BATCH_SIZE):
            # Children of this level need their parents' primary keys, which bulk_create returns.
            Area.objects.bulk_create(chunk)
            done += len(chunk)
            _report(progress, done, total)
        for area in new_areas:
            areas[area.code] = area
        result.created += len(new_areas)
        if new_areas:
            result.created_by_level[level] = len(new_areas)

    for code in geoms:
        if code not in csv_codes:
            area = in_db[code]
            for key, value in boundary_fields(code).items():
                setattr(area, key, value)
            area.updated_at = now
            to_update.append(area)
    for chunk in _chunks(to_update, BATCH_SIZE):
        Area.objects.bulk_update(chunk, ["name", "boundary", "centroid_lat", "centroid_lng", "updated_at"])
        done += len(chunk)
        _report(progress, done, total)
    result.updated = len(to_update)
    result.boundaries = len(geoms)
    if result.created or result.updated:
        forget_area_choices()  # bulk writes send no signals
    _report(progress, total, total)
    return result


# --------------------------------------------------------------------------- residents


@dataclass
class ResidentImportResult:
    """What a resident import did."""

    created: int = 0
    households_created: int = 0
    households_reused: int = 0


@dataclass
class _ResidentRow:
    row: int
    name: str
    id_number: str
    gender: str
    birth_date: Any
    phone: str
    micro_grid_code: str
    household_number: str
    address: str
    special_population: str
    key_person: bool


GENDER_ALIASES = {"男": Gender.MALE, "male": Gender.MALE, "m": Gender.MALE, "女": Gender.FEMALE}
GENDER_ALIASES |= {"female": Gender.FEMALE, "f": Gender.FEMALE}


def _is_xlsx(data: bytes, filename: str) -> bool:
    # Content decides: an .xlsx is a zip archive. The name is only a hint for a damaged upload.
    return data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


_valid_regions: set[str] = set()
PLAIN_ID_RE = re.compile(r"^\d{17}[\dX]$")


def _birth_date(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def _normalize_id_number(value: str) -> str:
    """normalize_id_number, fast for the common case of many people from few regions.

    stdnum looks the 6-digit region up in a table of several thousand lines on every call (about
    0.6 ms), which would cost a minute on a 100,000-row file. The region depends on those six digits
    only, so once a region has passed, a plainly written number from it needs only its check digit
    and birth date checked. Anything else goes through the full validator, so the error a user sees
    is the same either way.
    """
    number = (value or "").strip().upper()
    if PLAIN_ID_RE.match(number) and number[:6] in _valid_regions and ric.calc_check_digit(number) == number[-1]:
        try:
            _birth_date(number)
            return number
        except ValueError:
            pass
    number = normalize_id_number(number)
    _valid_regions.add(number[:6])
    return number


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(str(m) for m in exc.messages)


def _parse_resident(number: int, record: dict, errors: list) -> _ResidentRow | None:
    ok = True
    name = record.get("name", "")
    if not name:
        errors.append((number, "name", _("姓名不能为空")))
        ok = False
    elif len(name) > 50:
        errors.append((number, "name", _("姓名最长 50 字")))
        ok = False

    id_number, birth_date, id_gender = "", None, ""
    raw_id = record.get("id_number", "")
    if not raw_id:
        errors.append((number, "id_number", _("身份证号不能为空")))
        ok = False
    else:
        try:
            id_number = _normalize_id_number(raw_id)
            birth_date = _birth_date(id_number)
            # The 17th digit is odd for men and even for women (GB 11643).
            id_gender = Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE
        except ValidationError as exc:
            errors.append((number, "id_number", _validation_message(exc)))
            ok = False

    gender_text = record.get("gender", "")
    gender = GENDER_ALIASES.get(gender_text.lower(), None) if gender_text else id_gender
    if gender is None:
        errors.append((number, "gender", _("性别 %(value)s 无效,应为 男/女") % {"value": gender_text}))
        ok = False
    elif gender_text and id_gender and gender != id_gender:
        errors.append((number, "gender", _("性别与身份证号不符")))
        ok = False

    phone = ""
    try:
        phone = normalize_phone(record.get("phone", ""))
    except ValidationError as exc:
        errors.append((number, "phone", f"{_validation_message(exc)}: {record.get('phone', '')}"))
        ok = False

    micro_grid_code = record.get("micro_grid_code", "")
    if not micro_grid_code:
        errors.append((number, "micro_grid_code", _("微网格编码不能为空")))
        ok = False

    household_number = record.get("household_number", "")
    if len(household_number) > 40:
        errors.append((number, "household_number", _("户号最长 40 位")))
        ok = False
    address = record.get("address", "")
    if len(address) > 200:
        errors.append((number, "address", _("地址最长 200 字")))
        ok = False

    special_text = record.get("special_population", "")
    special: str | None = ""
    if special_text:
        aliases = _label_aliases(SpecialPopulation)
        special = special_text if special_text in SpecialPopulation.values else None
        special = special or aliases.get(special_text) or aliases.get(special_text.lower())
    if special is None:
        errors.append(
            (
                number,
                "special_population",
                _("特殊人群类别 %(value)s 无效,应为 %(choices)s之一")
                % {"value": special_text, "choices": ", ".join(v for v in SpecialPopulation.values if v)},
            )
        )
        ok = False

    key_text = record.get("key_person", "").lower()
    key_person = key_text in TRUE_WORDS
    if key_text not in TRUE_WORDS | FALSE_WORDS:
        errors.append((number, "key_person", _("重点人员应填 是/否")))
        ok = False

    if not ok:
        return None
    return _ResidentRow(
        row=number,
        name=name,
        id_number=id_number,
        gender=gender,
        birth_date=birth_date,
        phone=phone,
        micro_grid_code=micro_grid_code,
        household_number=household_number,
        address=address,
        special_population=special,
        key_person=key_person,
    )


def import_residents(file: Source, filename: str, progress: Progress | None = None) -> ResidentImportResult:
    """Register people of the actual population (实有人口) from a CSV or XLSX sheet.

    Columns: name, id_number, gender, phone, micro_grid_code, household_number, address,
    special_population, key_person. Every ID number must pass its GB 11643 check digit and be new
    (in the file and in the system); every micro-grid must exist. Households are created, or reused
    when their number is already registered in the same micro-grid. At most 20 MB and 100,000 rows.
    """
    data = _read_bytes(file, limit=MAX_RESIDENT_FILE_BYTES)
    if len(data) > MAX_RESIDENT_FILE_BYTES:
        raise ImportErrors([(0, "size", _("文件超过 %(mb)s MB 的上限") % {"mb": MAX_RESIDENT_FILE_BYTES // 2**20})])
    if filename.lower().endswith(".xls"):
        raise ImportErrors([(0, "format", _("不支持旧版 .xls 文件,请另存为 .xlsx 或 UTF-8 CSV"))])
    table = _read_xlsx(data, MAX_RESIDENT_ROWS) if _is_xlsx(data, filename) else _decode_csv(data)

    errors: list[tuple[int, str, str]] = []
    parsed: list[_ResidentRow] = []
    first_row_of_id: dict[str, int] = {}
    household_grid: dict[str, tuple[str, int]] = {}
    for number, record in _table(table, REQUIRED_RESIDENT_COLUMNS, MAX_RESIDENT_ROWS):
        row = _parse_resident(number, record, errors)
        if row is None:
            continue
        if row.id_number in first_row_of_id:
            errors.append(
                (
                    number,
                    "id_number",
                    _("身份证号 %(id)s 与第 %(first)s 行重复")
                    % {"id": row.id_number, "first": first_row_of_id[row.id_number]},
                )
            )
            continue
        first_row_of_id[row.id_number] = number
        if row.household_number:
            grid_code, first = household_grid.setdefault(row.household_number, (row.micro_grid_code, number))
            if grid_code != row.micro_grid_code:
                errors.append(
                    (
                        number,
                        "household_number",
                        _("户号 %(number)s 在第 %(first)s 行属于微网格 %(grid)s,同一户不能跨微网格")
                        % {"number": row.household_number, "first": first, "grid": grid_code},
                    )
                )
                continue
        parsed.append(row)

    micro_codes = sorted({r.micro_grid_code for r in parsed})
    areas: dict[str, Area] = {}
    for chunk in _chunks(micro_codes):
        areas.update({a.code: a for a in Area.objects.filter(code__in=chunk)})
    existing_ids: set[str] = set()
    for chunk in _chunks(sorted(first_row_of_id)):
        existing_ids.update(Resident.objects.filter(id_number__in=chunk).values_list("id_number", flat=True))
    households: dict[str, Household] = {}
    for chunk in _chunks(sorted(household_grid)):
        households.update(
            {h.number: h for h in Household.objects.filter(number__in=chunk).select_related("micro_grid")}
        )

    valid: list[_ResidentRow] = []
    for r in parsed:
        area = areas.get(r.micro_grid_code)
        if area is None:
            errors.append((r.row, "micro_grid_code", _("微网格编码 %(code)s 不存在") % {"code": r.micro_grid_code}))
            continue
        if area.level != Level.MICRO_GRID:
            errors.append(
                (
                    r.row,
                    "micro_grid_code",
                    _("编码 %(code)s 是%(level)s,不是微网格")
                    % {"code": r.micro_grid_code, "level": _level_label(area.level)},
                )
            )
            continue
        if r.id_number in existing_ids:
            errors.append((r.row, "id_number", _("身份证号 %(id)s 已登记") % {"id": r.id_number}))
            continue
        household = households.get(r.household_number) if r.household_number else None
        if household is not None and household.micro_grid.code != r.micro_grid_code:
            errors.append(
                (
                    r.row,
                    "household_number",
                    _("户号 %(number)s 已登记在微网格 %(grid)s")
                    % {"number": r.household_number, "grid": household.micro_grid.code},
                )
            )
            continue
        valid.append(r)

    if errors:
        raise ImportErrors(errors)
    return _write_residents(rows=valid, areas=areas, households=households, progress=progress)


@transaction.atomic
def _write_residents(
    *,
    rows: list[_ResidentRow],
    areas: dict[str, Area],
    households: dict[str, Household],
    progress: Progress | None,
) -> ResidentImportResult:
    result = ResidentImportResult(households_reused=len(households))
    new_households: dict[str, Household] = {}
    for r in rows:
        if r.household_number and r.household_number not in households and r.household_number not in new_households:
            new_households[r.household_number] = Household(
                number=r.household_number,
                micro_grid=areas[r.micro_grid_code],
                area_path=areas[r.micro_grid_code].path,
                address=r.address,
            )
    Household.objects.bulk_create(list(new_households.values()), batch_size=BATCH_SIZE)
    households = households | new_households
    result.households_created = len(new_households)

    now = timezone.now()
    residents = [
        Resident(
            name=r.name,
            id_number=r.id_number,
            gender=r.gender,
            birth_date=r.birth_date,
            phone=r.phone,
            micro_grid=areas[r.micro_grid_code],
            # Copied so that scoping residents is one prefix query without a join.
            area_path=areas[r.micro_grid_code].path,
            household=households.get(r.household_number) if r.household_number else None,
            address=r.address,
            special_population=r.special_population,
            key_person=r.key_person,
            created_at=now,
        )
        for r in rows
    ]
    total = len(residents)
    for start in range(0, total, BATCH_SIZE):
        Resident.objects.bulk_create(residents[start : start + BATCH_SIZE])
        _report(progress, min(start + BATCH_SIZE, total), total)
    result.created = total
    return result
