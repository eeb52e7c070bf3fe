"""Territory and resident imports: all or nothing, with errors that name the row and the field."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from grids import imports
from grids.geo import locate_id
from grids.imports import ImportErrors, import_residents, import_territory
from grids.models import Area, Household, Level, Resident
from tests.grids.conftest import check_digit, valid_id_number
from tests.territory import box

pytestmark = pytest.mark.django_db


def territory_csv(*rows: str) -> bytes:
    return ("\ufeffcode,name,level,parent_code\n" + "\n".join(rows) + "\n").encode()


# A second district, east of the test territory. Children before parents on purpose: the importer orders by level.
GOOD_ROWS = [
    "1502080010010102,二号微网格,micro_grid,15020800100101",
    "1502080010010101,一号微网格,micro_grid,15020800100101",
    "15020800100101,一号网格,grid,150208001001",
    "150208001001,试点社区,village,150208001",
    "150208001,试点街道,town,150208",
    "150208,石拐区,district,",
]
BOXES = {
    "150208": box(111.0, 40.5, 111.2, 40.7),
    "150208001": box(111.0, 40.5, 111.2, 40.7),
    "150208001001": box(111.0, 40.5, 111.1, 40.6),
    "15020800100101": box(111.0, 40.5, 111.1, 40.6),
    "1502080010010101": box(111.0, 40.5, 111.05, 40.6),
    "1502080010010102": box(111.05, 40.5, 111.1, 40.6),
}


def geojson(boxes: dict[str, dict]) -> bytes:
    features = [{"type": "Feature", "properties": {"code": c}, "geometry": g} for c, g in boxes.items()]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def errors_of(call) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportErrors) as exc:
        call()
    return exc.value.errors


# --------------------------------------------------------------------------- territory


def test_territory_csv_and_geojson_are_imported_in_level_order():
    calls = []
    result = import_territory(territory_csv(*GOOD_ROWS), geojson(BOXES), progress=lambda d, t: calls.append((d, t)))

    assert result.created == 6 and result.boundaries == 6
    assert result.created_by_level == {level: (2 if level == Level.MICRO_GRID else 1) for level in Level.values}
    micro = Area.objects.get(code="1502080010010102")
    assert micro.path == "150208/150208001/150208001001/15020800100101/1502080010010102/"
    assert micro.parent.code == "15020800100101" and micro.level == Level.MICRO_GRID
    assert micro.boundary == BOXES["1502080010010102"]
    assert micro.centroid == {"lat": pytest.approx(40.55), "lng": pytest.approx(111.075)}
    # A pin in the new micro-grid routes to it at once.
    assert locate_id(40.55, 111.075) == micro.pk
    assert calls[-1] == (6, 6)


def test_chinese_level_labels_and_headers_are_accepted():
    data = "\ufeff编码,名称,层级,上级编码\n150208,石拐区,区县,\n150208001,试点街道,街道,150208\n".encode()
    assert import_territory(data).created == 2
    assert Area.objects.get(code="150208001").level == Level.TOWN


def test_areas_can_hang_under_parents_already_in_the_database(territory):
    village = territory.villages[0]
    result = import_territory(territory_csv(f"{village.code}09,新增网格,grid,{village.code}"))
    assert result.created == 1
    grid = Area.objects.get(code=f"{village.code}09")
    assert grid.parent == village and grid.path == f"{village.path}{grid.code}/"


def test_an_existing_code_updates_name_and_boundary_but_keeps_its_place(territory):
    micro = territory.micro_grids[0]
    grid = territory.grids[0]
    before = micro.updated_at
    new_box = box(110.0, 40.5, 110.05, 40.55)  # still inside its grid
    result = import_territory(
        territory_csv(f"{micro.code},改名微网格,micro_grid,{grid.code}"), geojson({micro.code: new_box})
    )
    micro.refresh_from_db()
    assert (result.created, result.updated) == (0, 1)
    assert micro.name == "改名微网格" and micro.boundary == new_box and micro.updated_at > before
    assert micro.parent == grid and Area.objects.count() == 1 + 2 + 2 + 4 + 8


def test_reimporting_the_same_names_without_boundaries_changes_nothing(territory):
    micro = territory.micro_grids[0]
    result = import_territory(territory_csv(f"{micro.code},{micro.name},micro_grid,{micro.parent.code}"))
    micro.refresh_from_db()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert micro.boundary is not None  # an import without GeoJSON keeps the boundary it had


@pytest.mark.parametrize(
    "bad_row, field, fragment",
    [
        ("150208099,坏层级,county,150208", "level", "county"),
        ("150208099,缺上级,town,150207099", "parent_code", "上级编码 150207099 不存在"),
        ("150208001,重复编码,town,150208", "code", "与第 6 行重复"),
        ("15020800100199,跳级网格,grid,150208001", "parent_code", "150208001"),
        ("150208099,,town,150208", "name", "名称"),
        ("150208/9,坏编码,town,150208", "code", "150208/9"),
        ("150209,另一区,district,150208", "parent_code", "区县"),
    ],
)
def test_a_bad_row_names_row_and_field_and_writes_nothing(bad_row, field, fragment):
    rows = GOOD_ROWS + [bad_row]  # the bad row is row 8: header, six good rows, then it
    errors = errors_of(lambda: import_territory(territory_csv(*rows), geojson(BOXES)))
    assert [(e.row, e.field) for e in errors] == [(8, field)]
    assert fragment in errors[0].message
    assert str(errors[0]).startswith(f"第 8 行 {field}:")
    assert Area.objects.count() == 0


def test_missing_parent_message_reads_like_a_sentence():
    errors = errors_of(
        lambda: import_territory(territory_csv("150208,石拐区,district,", "150207099001,村,village,150207099"))
    )
    assert [str(e) for e in errors] == ["第 3 行 parent_code: 上级编码 150207099 不存在"]


def test_an_existing_code_cannot_move_to_another_parent(territory):
    micro = territory.micro_grids[0]
    other_grid = territory.grids[1]
    errors = errors_of(lambda: import_territory(territory_csv(f"{micro.code},搬家,micro_grid,{other_grid.code}")))
    assert [(e.row, e.field) for e in errors] == [(2, "parent_code")]


def test_a_missing_column_is_reported_on_the_header():
    errors = errors_of(lambda: import_territory(b"code,name\n150208,x\n"))
    assert errors[0].row == 1 and "level" in errors[0].field


def test_invalid_geometry_is_reported_on_its_feature_and_writes_nothing():
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[111.0, 40.5], [111.1, 40.6], [111.1, 40.5], [111.0, 40.6], [111.0, 40.5]]],
    }
    boxes = BOXES | {"15020800100101": bowtie}
    errors = errors_of(lambda: import_territory(territory_csv(*GOOD_ROWS), geojson(boxes)))
    assert [(e.row, e.field) for e in errors] == [(4, "geojson.geometry")]
    assert "15020800100101" in errors[0].message and "Self-intersection" in errors[0].message
    assert str(errors[0]).startswith("GeoJSON 第 4 个要素 geojson.geometry:")
    assert Area.objects.count() == 0


def test_micro_grid_outside_its_grid_is_an_error_naming_both_codes():
    boxes = BOXES | {"1502080010010102": box(111.05, 40.5, 111.15, 40.6)}  # sticks out east of its grid
    errors = errors_of(lambda: import_territory(territory_csv(*GOOD_ROWS), geojson(boxes)))
    assert [(e.row, e.field) for e in errors] == [(6, "geojson.geometry")]
    assert "1502080010010102" in errors[0].message and "15020800100101" in errors[0].message
    assert Area.objects.count() == 0


def test_geojson_for_an_unknown_code_or_of_the_wrong_type_is_rejected():
    boxes = BOXES | {"999": box(0, 0, 1, 1)}
    errors = errors_of(lambda: import_territory(territory_csv(*GOOD_ROWS), geojson(boxes)))
    assert [(e.row, e.field) for e in errors] == [(7, "geojson.properties.code")]
    errors = errors_of(lambda: import_territory(territory_csv(*GOOD_ROWS), b'{"type": "Feature"}'))
    assert [(e.row, e.field) for e in errors] == [(0, "geojson")]


def test_shrinking_a_grid_around_its_recorded_micro_grids_is_refused(territory):
    grid = territory.grids[0]
    errors = errors_of(lambda: import_territory(territory_csv(), geojson({grid.code: box(110.0, 40.5, 110.1, 40.6)})))
    assert len(errors) == 1 and territory.micro_of(grid)[1].code in errors[0].message


# --------------------------------------------------------------------------- residents

RESIDENT_HEADER = "name,id_number,gender,phone,micro_grid_code,household_number,address,special_population,key_person"


def residents_csv(*rows: str) -> bytes:
    return ("\ufeff" + RESIDENT_HEADER + "\n" + "\n".join(rows) + "\n").encode()


def gender_of(id_number: str) -> str:
    """GB 11643: the 17th digit is odd for men."""
    return "male" if int(id_number[16]) % 2 else "female"


def test_residents_csv_is_imported_with_households(territory):
    m1, m2 = territory.micro_grids[0], territory.micro_grids[1]
    man, woman, child = valid_id_number(), valid_id_number(), valid_id_number(date(2015, 3, 1))
    data = residents_csv(
        f"张三,{man},{'男' if gender_of(man) == 'male' else '女'},+86 139-1234-5678,{m1.code},H001,湖滨社区1号楼,社区矫正对象,是",
        f"李四,{woman.lower()},,13812345678,{m1.code},H001,湖滨社区1号楼,,否",
        f"张小宝,{child},,,{m2.code},H002,,,",
    )
    calls = []
    result = import_residents(io.BytesIO(data), "residents.csv", progress=lambda d, t: calls.append((d, t)))

    assert (result.created, result.households_created, result.households_reused) == (3, 2, 0)
    zhang = Resident.objects.get(id_number=man)
    assert zhang.phone == "13912345678" and zhang.area_path == m1.path and zhang.micro_grid == m1
    assert zhang.special_population == "community_correction" and zhang.key_person is True
    assert zhang.birth_date == date(1980, 5, 17)
    assert zhang.household.number == "H001" and zhang.household.members.count() == 2
    # Gender comes from the ID number's 17th digit when the column is blank.
    assert Resident.objects.get(id_number=woman.upper()).gender == gender_of(woman)
    assert Household.objects.get(number="H002").micro_grid == m2
    assert calls[-1] == (3, 3)


def test_residents_xlsx_is_imported_and_numeric_cells_are_read_as_text(territory):
    m1 = territory.micro_grids[0]
    Household.objects.create(number="H009", micro_grid=m1)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(RESIDENT_HEADER.split(","))
    id_number = valid_id_number()
    sheet.append(["王五", id_number, gender_of(id_number), 13912345678, m1.code, "H009", "", "key_youth", 1])
    sheet.append([None] * 9)  # blank rows are skipped
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = import_residents(buffer.getvalue(), "upload.bin")  # detected by content, not by name
    assert (result.created, result.households_created, result.households_reused) == (1, 0, 1)
    wang = Resident.objects.get(id_number=id_number)
    assert wang.phone == "13912345678" and wang.household.number == "H009" and wang.key_person


def bad_resident_cases(territory):
    m1 = territory.micro_grids[0]
    good = valid_id_number()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    twin = valid_id_number()
    return {
        "bad check digit": (f"坏校验,{bad_check},,,{m1.code},,,,", "id_number"),
        "bad phone": (f"坏电话,{valid_id_number()},,12345,{m1.code},,,,", "phone"),
        "unknown micro-grid": (f"无网格,{valid_id_number()},,,150207099999999,,,,", "micro_grid_code"),
        "grid is not a micro-grid": (f"错层级,{valid_id_number()},,,{territory.grids[0].code},,,,", "micro_grid_code"),
        "duplicate in file": (f"重复甲,{twin},,,{m1.code},,,,\n重复乙,{twin},,,{m1.code},,,,", "id_number"),
        "bad special population": (f"坏类别,{valid_id_number()},,,{m1.code},,,alien,", "special_population"),
        "bad gender": (f"坏性别,{valid_id_number()},x,,{m1.code},,,,", "gender"),
        "bad key person": (f"坏标记,{valid_id_number()},,,{m1.code},,,,maybe", "key_person"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "bad check digit",
        "bad phone",
        "unknown micro-grid",
        "grid is not a micro-grid",
        "duplicate in file",
        "bad special population",
        "bad gender",
        "bad key person",
    ],
)
def test_a_bad_resident_row_names_row_and_field_and_writes_nothing(territory, case):
    row, field = bad_resident_cases(territory)[case]
    good = f"好人,{valid_id_number()},,13912345678,{territory.micro_grids[0].code},H100,,,"
    data = residents_csv(good, row)
    errors = errors_of(lambda: import_residents(data, "residents.csv"))
    assert [e.field for e in errors] == [field]
    assert errors[0].row == (4 if case == "duplicate in file" else 3)
    assert Resident.objects.count() == 0 and Household.objects.count() == 0


def test_a_resident_already_registered_is_an_error(territory):
    m1 = territory.micro_grids[0]
    id_number = valid_id_number()
    Resident.objects.create(name="老住户", id_number=id_number, micro_grid=m1, area_path=m1.path)
    errors = errors_of(lambda: import_residents(residents_csv(f"新住户,{id_number},,,{m1.code},,,,"), "r.csv"))
    assert [(e.row, e.field) for e in errors] == [(2, "id_number")] and "已登记" in errors[0].message


def test_a_household_cannot_span_micro_grids(territory):
    m1, m2 = territory.micro_grids[0], territory.micro_grids[1]
    data = residents_csv(f"甲,{valid_id_number()},,,{m1.code},H7,,,", f"乙,{valid_id_number()},,,{m2.code},H7,,,")
    errors = errors_of(lambda: import_residents(data, "r.csv"))
    assert [(e.row, e.field) for e in errors] == [(3, "household_number")]


def test_a_bad_xlsx_row_writes_nothing(territory):
    body = "15020719800517001"
    wrong = "0" if check_digit(body) != "0" else "1"
    workbook = openpyxl.Workbook()
    workbook.active.append(RESIDENT_HEADER.split(","))
    workbook.active.append(["好人", valid_id_number(), "", "", territory.micro_grids[0].code, "", "", "", ""])
    workbook.active.append(["坏人", body + wrong, "", "", territory.micro_grids[0].code, "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    errors = errors_of(lambda: import_residents(buffer, "r.xlsx"))
    assert [(e.row, e.field) for e in errors] == [(3, "id_number")]
    assert Resident.objects.count() == 0


def test_size_and_row_caps_and_broken_files_are_clear_errors(territory, monkeypatch):
    row = f"甲,{valid_id_number()},,,{territory.micro_grids[0].code},,,,"
    monkeypatch.setattr(imports, "MAX_RESIDENT_ROWS", 1)
    errors = errors_of(lambda: import_residents(residents_csv(row, row), "r.csv"))
    assert [(e.row, e.field) for e in errors] == [(0, "rows")]
    monkeypatch.setattr(imports, "MAX_RESIDENT_FILE_BYTES", 10)
    errors = errors_of(lambda: import_residents(residents_csv(row), "r.csv"))
    assert [(e.row, e.field) for e in errors] == [(0, "size")] and "MB" in errors[0].message
    monkeypatch.undo()
    assert errors_of(lambda: import_residents(b"not a zip", "r.xlsx"))[0].field == "format"
    assert errors_of(lambda: import_residents("姓名,身份证号\n".encode("gb18030"), "r.csv"))[0].field == "encoding"


# --------------------------------------------------------------------------- commands


def test_import_territory_command_imports_and_reports(tmp_path):
    csv_path, geo_path = tmp_path / "areas.csv", tmp_path / "areas.geojson"
    csv_path.write_bytes(territory_csv(*GOOD_ROWS))
    geo_path.write_bytes(geojson(BOXES))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_territory", str(csv_path), "--geojson", str(geo_path), stdout=out, stderr=err)
    assert "created 6" in out.getvalue() and "6/6" in err.getvalue()
    assert Area.objects.filter(code__startswith="150208").count() == 6


def test_import_territory_command_fails_with_the_row_errors(tmp_path):
    csv_path = tmp_path / "areas.csv"
    csv_path.write_bytes(territory_csv(*GOOD_ROWS, "150208099,缺上级,town,150207099"))
    with pytest.raises(CommandError) as exc:
        call_command("import_territory", str(csv_path), stdout=io.StringIO(), stderr=io.StringIO())
    assert "第 8 行 parent_code: 上级编码 150207099 不存在" in str(exc.value)
    assert Area.objects.count() == 0


def test_import_residents_command(territory, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_bytes(residents_csv(f"甲,{valid_id_number()},,,{territory.micro_grids[0].code},,,,"))
    out = io.StringIO()
    call_command("import_residents", str(path), stdout=out, stderr=io.StringIO())
    assert "created 1 residents" in out.getvalue()

    path.write_bytes(residents_csv(f"乙,{valid_id_number()},,12345,{territory.micro_grids[0].code},,,,"))
    with pytest.raises(CommandError) as exc:
        call_command("import_residents", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert "第 2 行 phone" in str(exc.value)
    assert Resident.objects.count() == 1
