"""The evaluation harness: the scorer itself, and the rules backend against its baseline."""

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor import evaluate as ev
from extractor.cli import app
from extractor.convert import soffice
from extractor.ingest import read_document
from extractor.pipeline import Options, record_from_document
from tests.conftest import FIXTURES, ROOT

GOLDEN = FIXTURES / "golden"
BASELINE = ROOT / "eval" / "baseline-rules" / "report.json"


@pytest.fixture(scope="module")
def g004():
    return ev.load_golden(GOLDEN / "004_424dabb8b7582373.txt.json")


@pytest.fixture()
def r004():
    doc = read_document(FIXTURES / "004_424dabb8b7582373.txt")
    return record_from_document(doc, Options(backend="rules")), doc.text


def outcomes(ds, field):
    return [o["outcome"] for o in ds.outcomes if o["field"] == field]


def test_a_perfect_field_scores_correct(g004, r004):
    ds = ev.score_document(g004, *r004)
    assert outcomes(ds, "budget.total_budget") == ["correct"]


def test_a_wrong_number_counts_as_wrong(g004, r004):
    r, text = r004
    r.budget.total_budget.value = D("1698.97")
    assert outcomes(ev.score_document(g004, r, text), "budget.total_budget") == ["wrong"]


def test_a_missing_number_counts_as_omitted(g004, r004):
    r, text = r004
    r.budget.total_budget = None
    assert outcomes(ev.score_document(g004, r, text), "budget.total_budget") == ["omitted"]


def test_an_invented_number_counts_as_hallucinated_and_costs_precision(g004, r004):
    r, text = r004
    base = ev.prf({"correct": 10})
    r.budget.executed = r.budget.total_budget.model_copy()  # the report states no executed total
    ds = ev.score_document(g004, r, text)
    assert outcomes(ds, "budget.executed") == ["hallucinated"]
    c = {o: sum(1 for x in ds.outcomes if x["outcome"] == o) for o in ev.OUTCOMES}
    assert ev.prf(c)["precision"] < base["precision"]
    missing = dict(c, hallucinated=c["hallucinated"] - 1, omitted=c["omitted"] + 1)
    # an invented value hurts precision; a missing one does not
    assert ev.prf(c)["precision"] < ev.prf(missing)["precision"]


def test_tolerance_follows_the_golden_precision():
    assert ev.same(D("62.90"), D("62.9")) and ev.same(D("62.90"), D("62.904"))
    assert not ev.same(D("62.90"), D("62.91"))
    assert ev.same(D("90"), D("90.4")) and not ev.same(D("90"), D("90.6"))


def test_list_items_align_by_name_not_position(g004, r004):
    r, text = r004
    r.projects.reverse()
    ds = ev.score_document(g004, r, text)
    assert set(outcomes(ds, "projects.budget")) == {"correct"}


def test_an_invented_list_item_is_hallucinated(g004, r004):
    r, text = r004
    extra = r.projects[0].model_copy(deep=True)
    extra.name = "虚构的采购项目"
    r.projects.append(extra)
    ds = ev.score_document(g004, r, text)
    assert outcomes(ds, "projects.item").count("hallucinated") == 1
    assert outcomes(ds, "projects.budget").count("hallucinated") == 1


def test_flags_match_by_rule_and_field(g004, r004):
    r, text = r004
    assert ev.score_document(g004, r, text).flags["tp"] == 1
    (flag,) = r.flags
    flag.paths = ["projects[1].execution_rate_pct"] + flag.paths[1:]  # the same rule on the wrong project
    fl = ev.score_document(g004, r, text).flags
    assert (fl["tp"], fl["fp"], fl["fn"]) == (0, 1, 1)
    flag.paths = ["projects[0].execution_rate_pct"]
    flag.rule = "projects_sum"  # the right field, the wrong rule
    fl = ev.score_document(g004, r, text).flags
    assert (fl["tp"], fl["fp"], fl["fn"]) == (0, 1, 1)


def test_golden_inheritance_applies_planted_changes():
    g = ev.load_golden(GOLDEN / "v2_004_yuan_project.txt.json")
    sq = next(p for p in g["projects"] if p["name"] == "社区矫正")
    assert sq["executed"] == D("28.00") and len(g["flags"]) == 4
    assert ev.load_golden(GOLDEN / "004_424dabb8b7582373.txt.json")["projects"][1]["executed"] == D("18.00")


def test_every_golden_file_points_at_a_fixture():
    for gf in ev.golden_files(GOLDEN):
        g = ev.load_golden(gf)
        assert (FIXTURES / g["file"]).is_file(), gf.name
        assert gf.name == Path(g["file"]).name + ".json"


DEVSET = GOLDEN / "devset"
DEVSET_BASELINE = ROOT / "eval" / "devset-rules" / "report.json"
devset_texts = pytest.mark.skipif(not (ev.shared_root() / "devset" / "reports").is_dir(),
                                  reason="the dev-set texts live in ../shared (or $EXTRACTOR_SHARED), not here")


libreoffice = pytest.mark.skipif(soffice() is None, reason="the .doc / .wps / .rtf / .et fixtures need LibreOffice: "
                                 "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui (.ci/run installs it)")


@pytest.mark.parametrize("golden, baseline", [
    pytest.param(GOLDEN, BASELINE, id="seeds-and-variants", marks=libreoffice),
    pytest.param(DEVSET, DEVSET_BASELINE, id="devset", marks=devset_texts),
])
def test_rules_backend_does_not_fall_below_its_baseline(tmp_path, golden, baseline):
    """CI guards accuracy: re-run the rules backend and compare with the committed run."""
    r = CliRunner().invoke(app, ["eval", "--backend", "rules", "--golden", str(golden), "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    now = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    base = json.loads(baseline.read_text(encoding="utf-8"))
    assert now["documents_scored"] == base["documents_scored"]
    assert now["overall"]["f1"] >= base["overall"]["f1"] - 1e-9
    assert now["overall"]["hallucinated"] <= base["overall"]["hallucinated"]
    assert now["flags"]["f1"] >= base["flags"]["f1"] - 1e-9
    assert now["grounding_rate"] == 1.0
    for field, b in base["fields"].items():
        assert now["fields"][field]["f1"] >= b["f1"] - 0.02, field  # no field may slide noticeably
    assert "OVERALL" in r.output and "flags: precision" in r.output


def test_devset_golden_records_name_their_texts_in_the_shared_folder():
    files = ev.golden_files(DEVSET)
    assert len(files) == 24
    for gf in files:
        g = ev.load_golden(gf)
        assert g["file"] == f"shared/devset/reports/{gf.name.removesuffix('.json')}"
        assert ev.source_path(DEVSET, g["file"]) == ev.shared_root() / "devset" / "reports" / gf.name.removesuffix(".json")


def test_eval_says_clearly_when_the_devset_texts_are_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_SHARED", str(tmp_path / "nowhere"))
    r = CliRunner().invoke(app, ["eval", "--golden", str(DEVSET), "-o", str(tmp_path / "run")])
    assert r.exit_code == 2
    assert "金标准集的 24 份报告中有 24 份不在此处" in r.output and "EXTRACTOR_SHARED" in r.output
    assert not (tmp_path / "run").exists()


def test_eval_scores_what_it_can_read_and_lists_the_rest(tmp_path):
    golden = tmp_path / "fixtures" / "golden"
    golden.mkdir(parents=True)
    g = json.loads((FIXTURES / "golden" / "001_483226dbb7fcc7a4.txt.json").read_text(encoding="utf-8"))
    (golden / "001.json").write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "fixtures" / g["file"]).write_bytes((FIXTURES / g["file"]).read_bytes())
    (golden / "broken.json").write_text(json.dumps({**g, "file": "broken.pdf"}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "fixtures" / "broken.pdf").write_bytes(b"%PDF-1.4 cut short")
    r = CliRunner().invoke(app, ["eval", "--golden", str(golden), "-o", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert report["documents_scored"] == 1
    assert [u["file"] for u in report["unread"]] == ["broken.pdf"] and "PDF 文件已损坏" in report["unread"][0]["reason"]
    assert "未读取（不计分）：broken.pdf" in r.stdout and "broken.pdf" in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")


def test_eval_diff_says_what_got_better_and_worse(tmp_path):
    base = json.loads(BASELINE.read_text(encoding="utf-8"))
    worse = json.loads(json.dumps(base))
    worse["fields"]["budget.total_budget"]["f1"] = 0.5
    worse["fields"]["budget.total_budget"]["hallucinated"] = 3
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").write_text(json.dumps(worse), encoding="utf-8")
    r = CliRunner().invoke(app, ["eval", "diff", str(BASELINE.parent), str(tmp_path / "b")])
    assert r.exit_code == 0
    worse_part = r.output.split("fields worse in B")[1].split("documents better")[0]
    assert "budget.total_budget" in worse_part and "hallucinated 0 -> 3" in worse_part
