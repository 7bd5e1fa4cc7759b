"""The interface is complete in both languages: every string marked for translation in the code,
the templates and the pages' scripts has an English translation (and the few English source
strings a Chinese one) in the committed catalogues, and the compiled catalogues that Django reads
are the ones built from them."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "yiwang" / "locale"
DOMAINS = ("django", "djangojs")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _untranslated(po: Path, *only: str) -> list[str]:
    """The msgids of the entries `msgattrib` keeps with the given filter (the header left out)."""
    out = subprocess.run(["msgattrib", *only, "--no-wrap", str(po)], check=True, capture_output=True, text=True).stdout
    ids = []
    for block in out.split("\n\n"):
        match = re.search(r"^msgid ((?:\".*\"\n)+)", block + "\n", re.M)
        text = "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""
        if text:
            ids.append(text)
    return ids


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The committed catalogues merged with what the source marks today, made in a copy of the
    source so that the suites running side by side never write into the checkout."""
    source = tmp_path_factory.mktemp("extract") / "yiwang"
    shutil.copytree(ROOT / "yiwang", source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "vendor", "*.mo"))
    with pytest.MonkeyPatch.context() as patch, override_settings(LOCALE_PATHS=[source / "locale"]):
        patch.chdir(source)
        call_command("makemessages", locale=["en", "zh_Hans"], no_obsolete=True, verbosity=0)
        call_command("makemessages", locale=["en"], domain="djangojs", no_obsolete=True, verbosity=0)
    return source / "locale"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_has_an_english_translation(extracted, domain):
    merged = extracted / "en" / "LC_MESSAGES" / f"{domain}.po"
    untranslated = _untranslated(merged, "--untranslated")
    fuzzy = _untranslated(merged, "--only-fuzzy")
    assert not untranslated, f"{len(untranslated)} strings have no English translation in {domain}.po, e.g. {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} English translations in {domain}.po are guesses marked fuzzy, e.g. {fuzzy[:10]}"


def test_every_english_source_string_has_a_chinese_translation(extracted):
    merged = extracted / "zh_Hans" / "LC_MESSAGES" / "django.po"
    # Chinese source strings need no Chinese translation; the few English ones do.
    missing = [text for text in _untranslated(merged, "--untranslated") + _untranslated(merged, "--only-fuzzy") if not CJK.search(text)]
    assert not missing, f"{len(missing)} English source strings have no Chinese translation, e.g. {missing[:10]}"


@pytest.mark.parametrize("catalogue", [LOCALE / "en" / "LC_MESSAGES" / f"{d}.po" for d in DOMAINS] + [LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"],
                         ids=lambda path: f"{path.parent.parent.name}-{path.stem}")
def test_the_compiled_catalogue_is_built_from_the_committed_one(tmp_path, catalogue):
    built = tmp_path / "built.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(built), str(catalogue)], check=True, capture_output=True)
    with built.open("rb") as fresh, catalogue.with_suffix(".mo").open("rb") as committed:
        expected, actual = gettext.GNUTranslations(fresh)._catalog, gettext.GNUTranslations(committed)._catalog
    stale = sorted(key for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key))
    assert not stale, f"{catalogue.with_suffix('.mo').name} differs from its .po in {len(stale)} entries (run `uv run yiwang compilemessages --ignore .venv --ignore node_modules`), e.g. {stale[:5]}"


@pytest.mark.django_db
def test_the_command_center_and_its_script_words_follow_the_chosen_language(client, users, tree):
    client.force_login(users["street"])
    assert "指挥中心" in client.get("/command/").content.decode()
    assert "gettext" in (script := client.get("/jsi18n/").content.decode()) and "One-click dispatch" not in script
    client.post("/i18n/setlang/", {"language": "en", "next": "/command/"})
    english = client.get("/command/").content.decode()
    assert "Command centre" in english and "指挥中心" not in english
    assert "One-click dispatch" in client.get("/jsi18n/").content.decode()
