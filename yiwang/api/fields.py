"""Schema fields that read through a relation, so each output schema declares them once instead of a
resolver per schema: `region_code: RegionCode` is the code of the row's `region`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field

# Read from `obj.region.code` (ninja's getter follows the dotted name); a dict or keyword arguments
# may give `region_code` itself. Only the input side is aliased: the JSON key and the OpenAPI
# property stay "region_code".
RegionCode = Annotated[str, Field(validation_alias=AliasChoices("region.code", "region_code"))]
