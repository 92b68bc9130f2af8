"""Shared judgement of variable values: a wrong type (PXC117) or a wrong range (PXC113)."""

import re

from proxysql_iac.spec.compile import DesiredVariable
from proxysql_iac.spec.load import kind_of
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.variables import VariableInfo

_INTEGER = re.compile(r"^-?[0-9]+$")


def _shown(value: object, info: VariableInfo) -> str:
    if value is None or info.secret:  # a secret's value is never shown, even a wrong one
        return kind_of(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def type_problem(info: VariableInfo, variable: DesiredVariable) -> str | None:
    """Why the value is not of the variable's type at all, or None."""
    value = variable.value
    if isinstance(value, SecretRef):
        return None
    if info.type == "bool":
        if isinstance(value, bool) or value in ("true", "false"):
            return None
        return f"expects true or false, got {_shown(value, info)}"
    if info.type == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        if isinstance(value, str) and _INTEGER.match(value):
            return None
        return f"expects a whole number, got {_shown(value, info)}"
    if isinstance(value, (bool, float)):
        return f"expects a string, got {_shown(value, info)}"
    return None


def range_problem(info: VariableInfo, variable: DesiredVariable) -> str | None:
    """Why a value of the right type is outside what LOAD accepts, or None."""
    value = variable.value
    if isinstance(value, SecretRef) or type_problem(info, variable) is not None:
        return None
    if info.type == "int" and isinstance(value, str):
        value = int(value)
    if info.type == "string" and value is None:
        value = ""
    return info.problem(value)
