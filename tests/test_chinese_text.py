"""Chinese done properly: full-width punctuation in Chinese sentences (templates, strings marked for
translation, the pages' scripts), refusals that reach a page or an API answer in words the user reads
and marked for translation, and the admin's third-party apps under Chinese names."""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from yiwang.core.vendor_apps import UNTRANSLATABLE_MODEL_NAMES, VENDOR_WORDS

SOURCE = Path(__file__).resolve().parent.parent / "yiwang"
CJK = "\u3400-\u9fff"
# Half-width , : ; ( ) ? ! in Chinese text: between two Chinese characters; after one and before a
# placeholder, a tag or the end; a parenthesis opening or closing on a Chinese word; or between a
# template value and a Chinese word.
HALF_WIDTH = re.compile(
    rf"[{CJK}][ \t]*[,:;()?!][ \t]*[{CJK}]"
    rf"|[{CJK}][,:;?!](?=[ \t]*(?:%\(|%s|\{{|<|$))"
    rf"|[{CJK}][ \t]*\(|\)[ \t]*[{CJK}]|\([ \t]*[{CJK}]|[{CJK}][ \t]*\)"
    rf"|(?:\}}\}}|%\}})[ \t]*[,:;][ \t]*[{CJK}]"
)
TRANSLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.*?)\1[^%]*%\}""")
JS_GETTEXT = re.compile(r"""gettext\((["'`])((?:(?!\1)[^\\\n]|\\.)*)\1""")
MARKERS = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy",
           "npgettext", "npgettext_lazy"}


def _python_files():
    return [p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts]


def _call_name(node: ast.Call) -> str | None:
    return getattr(node.func, "id", getattr(node.func, "attr", None))


def _marked_strings(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _call_name(node) in MARKERS:
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.lineno, arg.value


def _where(path: Path, line: int, text: str) -> str:
    return f"{path.relative_to(SOURCE.parent)}:{line}: {text[:80]}"


@pytest.mark.parametrize("text", ["名称(可空)", "A角请假,转B角", "规则:任一项", "确认删除?", "原因:%(reason)s",
                                  "评分 {{ avg }}({{ n }} 人)", "{{ a }},超期"])
def test_the_rule_finds_half_width_punctuation_in_chinese(text):
    assert HALF_WIDTH.search(text)


@pytest.mark.parametrize("text", ["名称（可空）", "每行写“x，y，宽，高”", "边界（GeoJSON, WGS-84）", "如 4h（工作小时）", "Task Results",
                                  "第 %(n)s 页", "A/B 角", "2026-03-01 09:30"])
def test_the_rule_leaves_correct_text_alone(text):
    assert not HALF_WIDTH.search(text)


def test_templates_use_full_width_punctuation_in_chinese():
    found = []
    for path in SOURCE.rglob("*.html"):
        if "templates" not in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            text = TRANSLATE_TAG.sub(lambda m: m.group(2), line)
            if HALF_WIDTH.search(text):
                found.append(_where(path, number, line.strip()))
    assert not found, "half-width punctuation in Chinese text:\n" + "\n".join(found)


def test_strings_marked_for_translation_use_full_width_punctuation_in_chinese():
    found = [_where(path, line, text) for path in _python_files() for line, text in _marked_strings(path) if HALF_WIDTH.search(text)]
    assert not found, "half-width punctuation in Chinese text:\n" + "\n".join(found)


# Data, not sentences: column headers that other systems' files carry, and patterns that read them.
UNSENTENCED = ("yiwang/registry/importing/", "yiwang/registry/exports.py")


def _literals(path: Path):
    """The source text of each string literal that is not a docstring nor a raw string (a regular
    expression's brackets are syntax), an f-string whole."""
    source = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.add(first.lineno)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position):
        return starts[position[0] - 1] + position[1]

    depth, opened = 0, None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.FSTRING_START:
            depth, opened = depth + 1, opened if depth else token.start
        elif token.type == tokenize.FSTRING_END:
            depth -= 1
            if depth == 0:
                yield opened[0], source[offset(opened):offset(token.end)]
        elif token.type == tokenize.STRING and depth == 0 and token.start[0] not in docstrings:
            yield token.start[0], token.string


def test_every_sentence_in_the_code_uses_full_width_punctuation_in_chinese():
    """Not only the marked strings: service messages, notices and the demo's data reach people too."""
    found = []
    for path in _python_files():
        if str(path.relative_to(SOURCE.parent)).startswith(UNSENTENCED):
            continue
        for line, text in _literals(path):
            if not re.match(r"[A-Za-z]*[rR]", text) and HALF_WIDTH.search(text):
                found.append(_where(path, line, text))
    assert not found, "half-width punctuation in Chinese text:\n" + "\n".join(found)


def test_the_pages_scripts_use_full_width_punctuation_in_chinese():
    found = []
    for path in SOURCE.rglob("*.js"):
        if "vendor" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found += [_where(path, number, m.group(2)) for m in JS_GETTEXT.finditer(line) if HALF_WIDTH.search(m.group(2))]
    assert not found, "half-width punctuation in Chinese text:\n" + "\n".join(found)


def test_every_refusal_message_is_marked_for_translation():
    """A 403 or 404 message reaches the 403 page or an API answer: it is a marked string (or a
    value computed from one), never a bare literal."""
    found = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _call_name(node) in ("PermissionDenied", "Http404") and node.args:
                if isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
                    found.append(_where(path, node.lineno, ast.unparse(node)))
    assert not found, "refusals with a bare message:\n" + "\n".join(found)


@pytest.mark.django_db
def test_the_command_screen_refuses_a_grid_worker_in_chinese(client, users):
    client.force_login(users["worker_a"])
    page = client.get("/command/")
    assert page.status_code == 403
    assert "指挥中心大屏仅供区、街道、社区工作人员使用" in page.content.decode()
    answer = client.get("/api/command/kpi")
    assert answer.status_code == 403 and answer.json()["detail"] == "指挥中心大屏仅供区、街道、社区工作人员使用"


@pytest.mark.django_db
def test_a_region_outside_the_scope_is_not_found_in_chinese(client, users, tree):
    client.force_login(users["community"])
    answer = client.get("/api/command/kpi", {"region": tree.other_street.code})
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"区域{tree.other_street.code}不存在或不在您的数据范围内"


@pytest.mark.django_db
def test_an_api_answer_never_says_not_found_in_english(client, users):
    client.force_login(users["street"])
    answer = client.get("/api/cases/29990101000001")
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert re.search(f"[{CJK}]", detail) and "Not Found" not in detail


def test_third_party_apps_have_chinese_names():
    from django.apps import apps

    with translation.override("zh-hans"):
        for label in ("django_tasks_database", "axes", "otp_totp", "otp_static"):
            name = str(apps.get_app_config(label).verbose_name)
            assert re.search(f"[{CJK}]", name), (label, name)
    # The apps' own translatable names are listed for makemessages; django-otp's untranslatable
    # device names are renamed in the admin's index.
    assert "Task Results" in VENDOR_WORDS and "access attempts" in VENDOR_WORDS
    assert {key[0] for key in UNTRANSLATABLE_MODEL_NAMES} == {"otp_totp", "otp_static"}


@pytest.mark.django_db
def test_the_admin_index_shows_no_english_app_or_model_names(client):
    admin = get_user_model().objects.create_superuser("root", password="Yiwang-test-2026", role="district")
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    for english in ("Tasks Database Backend", "Task Results", "Axes", "Access attempts", "Otp_Totp", "TOTP devices",
                    "Static devices"):
        assert english not in html, english
    for chinese in ("后台任务", "登录锁定", "动态口令设备", "恢复码设备"):
        assert chinese in html, chinese


# --- Numbers and codes staff read -------------------------------------------------------------

@pytest.mark.parametrize(("value", "places", "shown"), [
    (1234567, None, "1,234,567"), (12, None, "12"), (0, None, "0"), (-9876, None, "-9,876"), (197.5, None, "197.5"),
    ("197.50", None, "197.5"), (1234.0, None, "1,234"), (1234.567, 2, "1,234.57"), (None, None, ""), ("—", None, "—"),
    ("+2", None, "+2"), ("+12345", None, "+12,345"), ("-3", None, "-3"),
])
def test_thousands_separate_the_numbers_staff_read(value, places, shown):
    from yiwang.core.templatetags.numbers import thousands_text

    assert thousands_text(value, places) == shown


def test_a_score_and_its_formula_agree():
    from yiwang.assessment import scoring
    from yiwang.core.templatetags.numbers import thousands_text

    # 195 × 1 + 5 × 0.5 = 197.5: the formula once said "= 198" (three significant digits) beside 197.50.
    score = scoring.grid_worker_score(ledger_points=195, patrols=5, visits=0, cases_opened=0, campaign_checks=0,
                                      rules=scoring.rule_values())
    assert score.total == 197.5
    assert score.formula.endswith("= 197.5") and thousands_text(score.total) == "197.5"
    big = scoring.grid_worker_score(ledger_points=1234, patrols=1, visits=0, cases_opened=0, campaign_checks=0, rules=scoring.rule_values())
    assert big.formula.endswith("= 1,234.5") and thousands_text(big.total) == "1,234.5"


@pytest.mark.django_db
def test_the_command_tiles_separate_thousands(client, users, monkeypatch):
    from yiwang.command import figures

    real = figures.kpi

    def many(*args, **kwargs):
        data = real(*args, **kwargs)
        data["total"]["open_now"] = 12345
        return data

    monkeypatch.setattr(figures, "kpi", many)
    client.force_login(users["street"])
    html = client.get("/command/").content.decode()
    assert re.search(r'data-testid="kpi-open_now"[^>]*>12,345<', html)


@pytest.mark.django_db
def test_a_matter_reads_by_its_name_first(tree):
    from yiwang.matters import catalogue
    from yiwang.matters.models import MatterType

    catalogue.ensure()
    matter = MatterType.objects.first()
    assert str(matter).startswith(matter.name) and str(matter).endswith(f"（{matter.code}）")
