"""Historic case import: every preset on its shared 311 file, elapsed hours across DST changes,
all-or-nothing on bad files and re-imports, points inside our grids, and the command."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from yiwang.cases import importing
from yiwang.cases.importing import NOTE_NO_SOURCE_DUE_CLOSED, NOTE_SOURCE_DUE, Mapping, MappingError, import_cases, preset
from yiwang.cases.models import Case, CaseEvent, Channel, Status
from yiwang.core.importing import ImportFailed

# Samples of real 311 exports kept in the repository (data/SOURCES.md names each file's origin and licence).
SR311 = Path(__file__).resolve().parents[2] / "data" / "sr311"
GRID_A = "500154003001001"
LA = ZoneInfo("America/Los_Angeles")

# preset, file, the source's status column, and what each of its values becomes.
CLOSED, OPEN = {"Closed": "closed"}, {"Open": "accepted", "Pending": "accepted", "Assigned": "accepted", "In Progress": "accepted",
                                      "Email Sent": "accepted"}  # fmt: skip
VOID = {"Cancelled": "rejected", "Referred Out": "rejected"}
FILES = [
    ("la2017", "la/myla311_2017_subset.csv", "Status", CLOSED | OPEN | VOID),
    ("la2020", "la/myla311_2020_seed_requests.csv", "status", CLOSED | OPEN | VOID),
    ("sf5k", "sf/sf311_cases_sample_5k_geo.csv", "Status", CLOSED | OPEN),
    ("sf10k", "sf/sf311_cases_sample_10k.csv", "Status", CLOSED | OPEN),
    ("sfbq", "sf/sf311_bigquery_10k.csv", "status", CLOSED | OPEN),
    ("nyc", "nyc/nyc311_2011_tuplex_2k.csv", "Status", CLOSED | OPEN),
    ("nyc", "nyc/nyc311_2014-2019_twosix_1k.csv", "Status", CLOSED | OPEN),
    ("nyc", "nyc/nyc311_20220501_pyboot_924.csv", "Status", CLOSED | OPEN),
    ("nyc_api", "nyc/nyc311_20191231_api_1k.csv", "status", CLOSED | OPEN),
    ("boston", "boston/boston311-100.csv", "case_status", CLOSED | OPEN),
]

# A few cases per file, by source ID: {field: value}.
SPOT_CHECKS = {
    "la/myla311_2017_subset.csv": {
        "1-870694601": {"matter__code": "06036"},  # Bulky Items
        "1-870704831": {"matter__code": "S0010"},  # Homeless Encampment: not mapped, the fallback
    },
    # 12/28/2015 05:30:18 PM in the 10k sample, "17:30:18+00:00" in BigQuery: its UTC label is San Francisco time.
    "sf/sf311_bigquery_10k.csv": {"5411321": {"reported_at": datetime(2015, 12, 28, 17, 30, 18, tzinfo=LA), "matter__code": "S0010"}},
    "sf/sf311_cases_sample_10k.csv": {"3600298": {"lat": 37.774007256355, "lon": -122.395680023339, "status": "accepted"}},
    # Opened on EST, closed on EDT.
    "nyc/nyc311_2011_tuplex_2k.csv": {"19937901": {"closed_at": datetime(2011, 3, 15, 16, 14, 19, tzinfo=ZoneInfo("America/New_York"))}},
}

def source_rows(name: str) -> list[dict]:
    with (SR311 / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


# A small export of our own making: naive Los Angeles wall times.
HAND = Mapping(source="hand", external_id="id", reported_at="opened", closed_at="closed", status="status", category="type",
               matters={"Graffiti": "07001"}, lat="lat", lon="lon", date_formats="%Y-%m-%d %H:%M", tz="America/Los_Angeles")
HEADER = ["id", "opened", "closed", "status", "type", "lat", "lon"]


def hand_file(*rows: list[str]) -> bytes:
    return csv_bytes([HEADER, *rows])


def hours(case: Case) -> float:
    return (case.closed_at - case.reported_at).total_seconds() / 3600


@pytest.mark.parametrize(("name", "path", "status_column", "statuses"), FILES, ids=[f"{p}:{f.split('/')[1]}" for p, f, *_ in FILES])
def test_each_preset_imports_its_whole_file(tree, name, path, status_column, statuses):
    rows = source_rows(path)
    result = import_cases(SR311 / path, mapping=preset(name), region=GRID_A)

    assert result.created == result.rows == len(rows) == Case.objects.count()
    expected = Counter(statuses[r[status_column]] for r in rows)
    assert result.by_status == expected
    assert Counter(Case.objects.values_list("status", flat=True)) == expected
    # The American points are in none of our grids: every case lands in the target grid.
    assert set(Case.objects.values_list("region__code", "channel", "external_source")) == {(GRID_A, Channel.IMPORT, preset(name).source)}
    assert not Case.objects.filter(number__isnull=True).exists()
    assert CaseEvent.objects.filter(action="import", from_status="", actor=None, actor_label="历史导入").count() == len(rows)
    assert not Case.objects.filter(status=Status.CLOSED, closed_at__isnull=True).exists()
    assert not Case.objects.filter(status=Status.CLOSED, step__gt="").exists()
    assert result.median_hours is None or result.median_hours >= 0
    for external_id, expected in SPOT_CHECKS.get(path, {}).items():
        assert Case.objects.filter(external_id=external_id).values(*expected).get() == expected, external_id


def test_cases_carry_the_source_and_their_audit_row(tree):
    import_cases(SR311 / "boston/boston311-100.csv", mapping=preset("boston"), region=GRID_A, now=datetime(2026, 1, 5, 2, tzinfo=UTC))
    case = Case.objects.get(external_id="101004130437")
    assert case.status == Status.CLOSED and case.matter.code == "S0010"
    assert case.reported_at == datetime(2022, 1, 19, 16, 18, tzinfo=UTC)  # 11:18 EST
    assert hours(case) == pytest.approx(24 / 60 + 16 / 3600)
    assert case.accepted_at == case.reported_at and case.number == f"20220120{case.pk:06d}"  # the date in Beijing
    assert case.step == "" and case.step_due_at is None and case.close_due_at is None
    assert case.lat == 42.3634 and case.lon == -71.0566 and "Needle Pickup" in case.description and "GEN_" in case.description
    event = case.events.get()
    assert (event.action, event.from_status, event.to_status, event.actor, event.actor_label) == ("import", "", "closed", None, "历史导入")
    assert event.detail["row"] == 3 and event.detail["source_status"] == "Closed"

    assert case.deadline_note == NOTE_NO_SOURCE_DUE_CLOSED and not case.ever_overdue  # no target_dt: not judged

    # An open case: its step runs from the source's report time, its deadline is the source's target_dt.
    parking = Case.objects.get(external_id="101004143000")
    assert parking.status == Status.ACCEPTED and parking.matter.code == "S0010" and parking.closed_at is None
    assert parking.step == "dispatch" and parking.step_started_at == parking.reported_at == datetime(2022, 1, 21, 18, 47, tzinfo=UTC)
    assert parking.close_due_at == datetime(2022, 2, 4, 18, 47, 30, tzinfo=UTC)  # 13:47:30 EST
    assert parking.step_due_at <= parking.close_due_at and parking.deadline_note == NOTE_SOURCE_DUE
    assert parking.ever_overdue and parking.step_overdue


def test_boston_on_time_judged_against_each_case_own_target(tree):
    """Boston's export says ONTIME or OVERDUE per case, judged against its target_dt: ours agrees."""
    import_cases(SR311 / "boston/boston311-100.csv", mapping=preset("boston"), region=GRID_A, now=datetime(2026, 1, 5, 2, tzinfo=UTC))
    rows = {r["case_enquiry_id"]: r for r in source_rows("boston/boston311-100.csv")}
    cases = {c.external_id: c for c in Case.objects.all()}
    dated = [i for i, r in rows.items() if r["target_dt"] and r["case_status"] == "Closed"]
    assert len(dated) >= 20
    for external_id in dated:
        case = cases[external_id]
        assert case.close_due_at is not None and case.deadline_note == NOTE_SOURCE_DUE
        assert case.ever_overdue == (rows[external_id]["ontime"] == "OVERDUE"), external_id
    undated = [i for i, r in rows.items() if not r["target_dt"]]
    assert undated and all(cases[i].close_due_at is None for i in undated if cases[i].status == Status.CLOSED)
    # The case list's own conditions read the same: closed on time against the source's target.
    from yiwang.cases.indicators import indicators

    figures = indicators(Case.objects.all(), as_of=datetime(2026, 1, 5, 2, tzinfo=UTC))
    assert figures.closed_late == sum(rows[i]["ontime"] == "OVERDUE" for i in dated)
    assert figures.closed_on_time == sum(rows[i]["ontime"] == "ONTIME" for i in dated)


def test_sf_elapsed_hours_equal_resolve_time_across_dst_changes(tree):
    """Resolve.Time in the 5k sample is DST-aware hours to 0.01. Cases open across an odd number
    of DST switches are an hour off on a naive clock; ours must match the column exactly."""
    import_cases(SR311 / "sf/sf311_cases_sample_5k_geo.csv", mapping=preset("sf5k"), region=GRID_A)
    spanning = {}
    for row in source_rows("sf/sf311_cases_sample_5k_geo.csv"):
        if row["Closed"] == "NA" or float(row["Resolve.Time"]) < 0:
            continue
        opened, closed = (datetime.fromisoformat(row[c]) for c in ("Opened", "Closed"))
        if opened.replace(tzinfo=LA).utcoffset() != closed.replace(tzinfo=LA).utcoffset():
            spanning[row["CaseID"]] = (float(row["Resolve.Time"]), (closed - opened).total_seconds() / 3600, opened.month)
    assert len(spanning) > 300 and {m for *_, m in spanning.values()} >= {3, 11}  # opened before spring and autumn switches

    cases = Case.objects.filter(external_id__in=list(spanning)).only("external_id", "reported_at", "closed_at")
    assert len(cases) == len(spanning)
    for case in cases:
        resolve, naive, _ = spanning[case.external_id]
        assert abs(hours(case) - resolve) <= 0.005 + 1e-9, case.external_id
        assert abs(abs(naive - resolve) - 1) < 0.01  # the wall clock alone would be an hour off


def test_fall_back_night_counts_the_repeated_hour(tree):
    result = import_cases(hand_file(
        ["fall", "2017-11-05 00:30", "2017-11-05 03:30", "closed", "Graffiti", "", ""],
        ["spring", "2018-03-11 01:30", "2018-03-11 03:30", "closed", "Noise", "", ""],
        ["spring-day", "2018-03-10 12:00", "2018-03-11 12:00", "closed", "Noise", "", ""],
    ), mapping=HAND, region=GRID_A)  # fmt: skip
    elapsed = {c.external_id: hours(c) for c in Case.objects.all()}
    assert elapsed == {"fall": 4.0, "spring": 1.0, "spring-day": 23.0}
    assert result.warnings == [] and result.median_hours == 4.0
    assert Case.objects.get(external_id="fall").matter.code == "07001"
    assert Case.objects.get(external_id="spring").matter.code == "S0010"


def test_excel_date_cells_are_read_too(tree):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["fall", datetime(2017, 11, 5, 0, 30), datetime(2017, 11, 5, 3, 30), "Closed", "Graffiti", None, None])
    content = io.BytesIO()
    book.save(content)
    import_cases(content.getvalue(), mapping=HAND, region=GRID_A)
    assert hours(Case.objects.get(external_id="fall")) == 4.0


def test_ambiguous_and_missing_wall_times_read_with_fold_0_and_warn(tree):
    result = import_cases(hand_file(
        ["ambiguous", "2017-11-05 01:30", "2017-11-05 03:00", "closed", "", "", ""],
        ["missing", "2018-03-11 02:30", "2018-03-11 04:00", "closed", "", "", ""],
    ), mapping=HAND, region=GRID_A)  # fmt: skip
    ambiguous, missing = Case.objects.get(external_id="ambiguous"), Case.objects.get(external_id="missing")
    assert ambiguous.reported_at == datetime(2017, 11, 5, 8, 30, tzinfo=UTC)  # the first 01:30, still PDT
    assert hours(ambiguous) == 2.5
    assert missing.reported_at == datetime(2018, 3, 11, 10, 30, tzinfo=UTC)  # 02:30 PST, i.e. 03:30 PDT
    assert hours(missing) == 0.5
    assert [(w.row, w.column) for w in result.warnings] == [(2, "opened"), (3, "opened")]
    assert "出现两次" in result.warnings[0].reason and "不存在" in result.warnings[1].reason


BAD = [
    ["1", "2017-11-01 09:00", "2017-11-02 09:00", "closed", "", "", ""],
    ["2", "2017-11-01 09:00", "", "open", "", "", ""],
    ["3", "2017-11-01 09:00", "2017-11-01 10:00", "cancelled", "", "", ""],
    ["4", "2017-11-01 09:00", "2017-11-03 09:00", "closed", "", "", ""],
    ["5", "2017-11-01 09:00", "2017-11-03 09:00", "closed", "", "", ""],
    ["6", "2017-13-01 09:00", "2017-11-03 09:00", "closed", "", "", ""],  # row 7: no 13th month
    ["7", "2017-11-01 09:00", "2017-11-03 09:00", "closed", "", "", ""],
    ["3", "2017-11-01 09:00", "2017-11-03 09:00", "closed", "", "", ""],  # row 9: the ID of row 4
]


def test_bad_file_reports_every_bad_row_and_writes_nothing(tree):
    with pytest.raises(ImportFailed) as failed:
        import_cases(hand_file(*BAD), mapping=HAND, region=GRID_A)
    assert [(e.row, e.column) for e in failed.value.errors] == [(7, "opened"), (9, "id")]
    assert "2017-13-01 09:00" in failed.value.errors[0].reason and "第4行" in failed.value.errors[1].reason
    assert Case.objects.count() == CaseEvent.objects.count() == 0


def test_skip_bad_rows_imports_the_rest(tree):
    result = import_cases(hand_file(*BAD), mapping=HAND, region=GRID_A, skip_bad_rows=True)
    assert result.created == 6 and [e.row for e in result.skipped] == [7, 9]
    assert result.by_status == {"closed": 4, "accepted": 1, "rejected": 1}
    rejected = Case.objects.get(external_id="3")
    assert rejected.rejected_at == datetime(2017, 11, 1, 17, tzinfo=UTC) and rejected.closed_at is None and rejected.accepted_at is None


@pytest.mark.parametrize(("row", "column", "reason"), [
    (["1", "2017-11-02 09:00", "2017-11-01 09:00", "closed", "", "", ""], "closed", "早于上报时间"),
    (["1", "2017-11-02 09:00", "", "closed", "", "", ""], "closed", "没有结案时间"),
    (["1", "2017-11-02 09:00", "", "lost", "", "", ""], "status", "lost 无法识别"),
    (["", "2017-11-02 09:00", "", "open", "", "", ""], "id", "编号为空"),
    (["1", "", "", "open", "", "", ""], "opened", "上报时间为空"),
    (["1", "2017-11-02 09:00", "", "open", "", "95", "10"], "lat", "超出"),
    (["1", "2017-11-02 09:00", "", "open", "", "north", "10"], "lat", "不是数字"),
    (["1", "2017-11-02 09:00", "", "open", "", "31.1", ""], "lat", "同时填写"),
    (["1", "2099-11-02 09:00", "", "open", "", "", ""], "opened", "晚于现在"),
])  # fmt: skip
def test_each_kind_of_bad_row_is_named(tree, row, column, reason):
    with pytest.raises(ImportFailed) as failed:
        import_cases(hand_file(row), mapping=HAND, region=GRID_A)
    [error] = failed.value.errors
    assert (error.row, error.column) == (2, column) and reason in error.reason


def test_closed_before_reported_is_clamped_when_the_mapping_says_so(tree):
    mapping = Mapping.from_dict({"closed_before_reported": "clamp"}, base=HAND)
    result = import_cases(hand_file(["1", "2017-11-02 09:00", "2017-11-02 08:00", "closed", "", "", ""]), mapping=mapping, region=GRID_A)
    assert hours(Case.objects.get()) == 0 and [(w.row, w.column) for w in result.warnings] == [(2, "closed")]


def test_reimporting_reports_every_duplicate_and_writes_nothing(tree):
    data = hand_file(*BAD[:5])
    import_cases(data, mapping=HAND, region=GRID_A)
    with pytest.raises(ImportFailed) as failed:
        import_cases(data, mapping=HAND, region=GRID_A)
    assert [e.row for e in failed.value.errors] == [2, 3, 4, 5, 6]
    assert all("已从来源 hand 导入过" in e.reason for e in failed.value.errors)
    assert Case.objects.count() == CaseEvent.objects.count() == 5


def test_a_clash_found_only_when_writing_still_names_the_rows(tree, monkeypatch):
    # As if another import wrote the same cases between our check and our write.
    data = hand_file(*BAD[:2])
    import_cases(data, mapping=HAND, region=GRID_A)
    real, calls = importing._existing, []

    def blind_at_the_check(source, ids):
        calls.append(ids)
        return set() if len(calls) == 1 else real(source, ids)

    monkeypatch.setattr(importing, "_existing", blind_at_the_check)
    with pytest.raises(ImportFailed) as failed:
        import_cases(data, mapping=HAND, region=GRID_A)
    assert [(e.row, e.column) for e in failed.value.errors] == [(2, "id"), (3, "id")] and len(calls) == 2
    assert Case.objects.count() == CaseEvent.objects.count() == 2


def test_points_inside_our_grids_go_to_that_grid(tree):
    import_cases(hand_file(
        ["in-b", "2017-11-01 09:00", "", "open", "", "31.105", "108.315"],
        ["zero", "2017-11-01 09:00", "", "open", "", "0.0", "0.0"],
        ["far", "2017-11-01 09:00", "", "open", "", "34.07", "-118.26"],
    ), mapping=HAND, region=tree.micro_a2)  # fmt: skip
    cases = {c.external_id: c for c in Case.objects.all()}
    assert (cases["in-b"].region, cases["in-b"].micro_grid) == (tree.grid_b, tree.micro_b1)
    assert (cases["zero"].region, cases["zero"].micro_grid, cases["zero"].lat) == (tree.grid_a, tree.micro_a2, None)
    assert (cases["far"].region, cases["far"].lat, cases["far"].lon) == (tree.grid_a, 34.07, -118.26)
    assert cases["in-b"].handling_region == tree.community  # S0010 is tier B: the community handles it


def test_mapping_problems_are_refused(tree):
    with pytest.raises(MappingError, match="unknown time zone"):
        Mapping.from_dict({"tz": "Mars/Olympus"}, base=HAND)
    with pytest.raises(MappingError, match="unknown mapping key"):
        Mapping.from_dict({"preset": "boston", "colour": "red"})
    with pytest.raises(MappingError, match="不存在"):
        import_cases(hand_file(BAD[0]), mapping=Mapping.from_dict({"fallback_matter": "X9999"}, base=HAND), region=GRID_A)
    with pytest.raises(MappingError, match="社区"):
        import_cases(hand_file(BAD[0]), mapping=HAND, region=tree.community)
    with pytest.raises(ImportFailed) as failed:
        import_cases(csv_bytes([["id", "opened"], ["1", "2017-11-01 09:00"]]), mapping=HAND, region=GRID_A)
    assert "表头中没有这一列" in failed.value.errors[0].reason


def test_command_imports_and_summarises(tree, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_cases", str(SR311 / "boston/boston311-100.csv"), preset="boston", region=GRID_A, stdout=out, stderr=err)
    assert "已导入 100/100 行（来源 boston311）：已立案 15，已结案 85" in out.getvalue()
    assert "结案用时中位数：" in out.getvalue()

    with pytest.raises(CommandError, match="100 处错误"):
        call_command("import_cases", str(SR311 / "boston/boston311-100.csv"), preset="boston", region=GRID_A, stdout=out, stderr=err)
    assert "已从来源 boston311 导入过" in err.getvalue()

    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"preset": "boston", "source": "boston-again", "matters": {"Parking Enforcement": "09009"}}))
    out = io.StringIO()
    call_command("import_cases", str(SR311 / "boston/boston311-100.csv"), mapping=str(mapping), region=GRID_A, stdout=out, stderr=err)
    assert "来源 boston-again" in out.getvalue()
    assert Case.objects.filter(external_source="boston-again", matter__code="09009").count() == 20


# Chinese work-order exports ------------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parent / "samples"
BEIJING = ZoneInfo("Asia/Shanghai")


def test_hotline_12345_export_keeps_each_order_own_deadline(tree):
    result = import_cases(SAMPLES / "hotline12345.csv", mapping=preset("hotline12345"), region=GRID_A,
                          now=datetime(2026, 3, 8, 9, tzinfo=BEIJING))  # fmt: skip
    assert result.created == 5 and result.by_status == {"closed": 3, "accepted": 2}
    fumes = Case.objects.get(external_id="GD20260302000118")
    assert fumes.reported_at == datetime(2026, 3, 2, 9, 15, 22, tzinfo=BEIJING)
    assert fumes.closed_at == datetime(2026, 3, 5, 16, 40, tzinfo=BEIJING)
    assert fumes.close_due_at == datetime(2026, 3, 9, 9, 15, 22, tzinfo=BEIJING) and not fumes.ever_overdue
    assert "餐馆夜间排烟" in fumes.description and "满意" in fumes.description and "区生态环境局" in fumes.description
    assert fumes.address == "开州区云枫街道永先路12号"
    drain = Case.objects.get(external_id="GD20260302000245")  # closed 8.5 hours after its deadline
    assert drain.ever_overdue and drain.deadline_note == NOTE_SOURCE_DUE
    noise = Case.objects.get(external_id="GD20260304000390")  # open, within its deadline on 8 March
    assert noise.status == Status.ACCEPTED and noise.close_due_at == datetime(2026, 3, 11, 21, 37, 45, tzinfo=BEIJING)
    assert noise.step_started_at == noise.reported_at and not noise.ever_overdue
    lamp = Case.objects.get(external_id="GD20260305000512")  # written 2026/3/5 14:05
    assert lamp.reported_at == datetime(2026, 3, 5, 14, 5, tzinfo=BEIJING)


def test_szcg_export_in_gbk_and_as_excel(tree):
    result = import_cases(SAMPLES / "szcg_gbk.csv", mapping=preset("szcg"), region=GRID_A, now=datetime(2026, 4, 3, 12, tzinfo=BEIJING))
    assert result.created == 4
    by_id = {c.external_id: c for c in Case.objects.select_related("matter")}
    assert by_id["SZCG2026-000131"].matter.code == "06010" and not by_id["SZCG2026-000131"].ever_overdue
    assert by_id["SZCG2026-000132"].matter.code == "09006" and by_id["SZCG2026-000132"].ever_overdue  # 15:45 after 13:10
    assert by_id["SZCG2026-000140"].status == Status.ACCEPTED and by_id["SZCG2026-000140"].matter.code == "01037"

    # The same rows as an .xlsx workbook, cells typed as Excel writes them (dates as dates).
    from openpyxl import Workbook

    with (SAMPLES / "szcg_gbk.csv").open(encoding="gbk", newline="") as f:
        rows = list(csv.reader(f))
    book = Workbook()
    book.active.append(rows[0])
    for row in rows[1:]:
        book.active.append([datetime.fromisoformat(v) if i in (1, 7, 8) and v else v for i, v in enumerate(row)])
    content = io.BytesIO()
    book.save(content)
    import_cases(content.getvalue(), mapping=replace(preset("szcg"), source="szcg-xlsx"), region=GRID_A,
                 now=datetime(2026, 4, 3, 12, tzinfo=BEIJING))  # fmt: skip
    again = Case.objects.get(external_source="szcg-xlsx", external_id="SZCG2026-000132")
    assert again.close_due_at == datetime(2026, 4, 1, 13, 10, tzinfo=BEIJING) and again.ever_overdue


def test_bad_chinese_rows_are_named_by_row_and_column_and_nothing_is_written(tree):
    text = (SAMPLES / "hotline12345.csv").read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace("2026-03-09 09:15:22", "2026-03-01 09:15:22")  # due before the call
    text[2] = text[2].replace("2026-03-02 10:02:51", "三月二日上午")  # a call time that does not parse
    with pytest.raises(ImportFailed) as caught:
        import_cases("\n".join(text).encode(), mapping=preset("hotline12345"), region=GRID_A, now=datetime(2026, 3, 8, tzinfo=BEIJING))
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(2, "办理时限"), (3, "来电时间")}, caught.value.errors
    assert not Case.objects.exists()

    missing = (SAMPLES / "hotline12345.csv").read_bytes().replace("办理时限".encode(), "期限".encode())
    with pytest.raises(ImportFailed) as caught:
        import_cases(missing, mapping=preset("hotline12345"), region=GRID_A)
    assert any("办理时限" in str(e) for e in caught.value.errors)
    with pytest.raises(MappingError, match="hotline"):
        preset("hotline")
    assert not Case.objects.exists()
