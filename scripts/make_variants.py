"""Build fixtures/variants/: seed reports with planted errors and format changes.

    python scripts/make_variants.py

Each variant is a seed with a few exact replacements (each must match exactly once), so the
golden record of a variant is its seed's golden record plus the planted changes.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

FW = str.maketrans("0123456789.", "０１２３４５６７８９．")

VARIANTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    # 000 with 全角 digits in the money sentence and a changed executed amount: the stated
    # 62.90% no longer matches executed / budget (594.50 / 873.64 = 68.05%).
    "v1_000_fullwidth_executed.txt": ("000_6edb1e7869f995cc.txt", [
        ("全年预算数为873.64", "全年预算数为" + "873.64".translate(FW)),
        ("全年执行金额为549.50万元", "全年执行金额为" + "594.50".translate(FW) + "万元"),
    ]),
    # 004 with the department budget in 元 and project 2's executed amount changed in the table:
    # 28.00 / 40.00 is 70%, not the stated 45%; the projects' executed sum (68.81) no longer
    # matches 58.81; and the narrative still says 执行数 18 万元.
    "v2_004_yuan_project.txt": ("004_424dabb8b7582373.txt", [
        ("2024 年预算金额 1689.97 万元", "2024 年预算金额 16899700 元"),
        ("2\t社区矫正\t40.00\t18.00\t45%", "2\t社区矫正\t40.00\t28.00\t45%"),
    ]),
    # 003 with Chinese numerals for the legal-aid counts and a lowered score: 88 分 with grade
    # 优秀 is outside the 优 band (>= 90).
    "v3_003_cn_numerals_grade.txt": ("003_dbfd8887bbff9196.txt", [
        ("共受理法律援助案件 347 件，其中刑事案件 220 件，民事案件 125 件",
         "共受理法律援助案件三百四十七件，其中刑事案件二百二十件，民事案件一百二十五件"),
        ("我局部门整体支出自评价90分", "我局部门整体支出自评价88分"),
    ]),
    # 002 with one indicator score changed: 结转结余率 scores 1 instead of 2, so the indicator
    # scores add up to 92.5 while the table's total stays 93.5.
    "v4_002_indicator_score.txt": ("002_ad102a3d62571759.txt", [
        ("1. 结余结转率≤10%的，得2分； 2. 10%<结余结转率≤20%的，得1分； 3. 20%<结余结转率≤30%的，得0.5分 3. 结余结转率>30%的，得0分。 | 2 |",
         "1. 结余结转率≤10%的，得2分； 2. 10%<结余结转率≤20%的，得1分； 3. 20%<结余结转率≤30%的，得0.5分 3. 结余结转率>30%的，得0分。 | 1 |"),
    ]),
}


def main() -> None:
    out = FIXTURES / "variants"
    out.mkdir(exist_ok=True)
    for name, (seed, changes) in VARIANTS.items():
        text = (FIXTURES / seed).read_text(encoding="utf-8")
        for old, new in changes:
            n = text.count(old)
            if n != 1:
                raise SystemExit(f"{name}: {old[:30]!r} occurs {n} times in {seed}, expected once")
            text = text.replace(old, new)
        (out / name).write_text(text, encoding="utf-8")
        print(f"fixtures/variants/{name} <- {seed} ({len(changes)} changes)")


if __name__ == "__main__":
    main()
