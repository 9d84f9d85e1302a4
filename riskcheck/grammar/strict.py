"""What every model of the rule grammar shares: an unknown key is an error, and the shape of a name a rule
file gives (a parameter, a test, an exemption)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

NAME = re.compile(r"[a-z_][a-z0-9_]*")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
