"""Bulk import of the registry (人房地物) from CSV/.xlsx: persons, houses and places, each an
importer on yiwang.core.importing (every row checked, every problem listed by row and column,
nothing written unless the whole file is clean, one transaction and one audit entry per file)."""

from yiwang.core.importing import ImportFailed, ImportReport, RowError

from .houses import HOUSE_COLUMNS, HouseImporter, import_houses
from .persons import PERSON_COLUMNS, PersonImporter, import_persons
from .places import PLACE_COLUMNS, PlaceImporter, import_places

IMPORTERS = {"persons": import_persons, "houses": import_houses, "places": import_places}

__all__ = [
    "HOUSE_COLUMNS", "IMPORTERS", "PERSON_COLUMNS", "PLACE_COLUMNS", "HouseImporter", "ImportFailed", "ImportReport",
    "PersonImporter", "PlaceImporter", "RowError", "import_houses", "import_persons", "import_places",
]  # fmt: skip
