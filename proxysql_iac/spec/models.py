"""The spec as pydantic models. Row models are generated from the table descriptions.

The models check shape and types (and feed the JSON Schema); CHECK constraints, keys and
cross-row conditions are checked after names and defaults are resolved (rules/constraints.py),
so that a hostgroup written as a name is checked the same way as one written as a number.
"""

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, List, Literal, Optional  # noqa: UP035

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
    model_validator,
)

from proxysql_iac.spec.tables import (
    TABLE_BY_NAME,
    TABLES,
    Column,
    Kind,
    OneOf,
    Range,
    StartsWith,
    Table,
)

# No pydantic plugins in pxc, for the whole process: a plugin installed beside pxc would see
# every value validated here, secrets included, and looking for plugins scans the metadata of
# every installed distribution (importlib.metadata) the first time a model is built.
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"

SPEC_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Strict):
    """A secret resolved at plan/apply time: exactly one of `env` or `file`."""

    env: Annotated[str | None, Field(description="name of an environment variable")] = None
    file: Annotated[str | None, Field(description="path of a file holding the secret")] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "SecretRef":
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret reference has exactly one of `env` or `file`")
        if self.env is not None and not self.env:
            raise ValueError("`env` names an environment variable; it cannot be empty")
        if self.file is not None and not self.file:
            raise ValueError("`file` names a file; it cannot be empty")
        return self

    def describe(self) -> str:
        return f"env:{self.env}" if self.env is not None else f"file:{self.file}"

    # The directory of the spec file that wrote this reference: a relative `file` path is
    # relative to it. Set by compile; not part of what the user writes. A slot, not a pydantic
    # private attribute: those cost a Python call for every reference validated.
    __slots__ = ("_base",)

    @property
    def base(self) -> Path | None:
        base: Path | None = getattr(self, "_base", None)
        return base

    def written_in(self, spec_file: str) -> "SecretRef":
        """This reference, as written in `spec_file` (sets `base`; returns self)."""
        if spec_file and self.file is not None:
            object.__setattr__(self, "_base", Path(spec_file).resolve().parent)
        return self

    def __eq__(self, other: object) -> bool:
        """The same secret: named alike, and a relative file from the same directory."""
        if not isinstance(other, SecretRef):
            return NotImplemented
        return (self.env, self.file, self.base) == (other.env, other.file, other.base)

    def __hash__(self) -> int:
        return hash((self.env, self.file, self.base))


Password = StrictStr | SecretRef


class AdminCredentials(_Strict):
    user: Annotated[StrictStr, Field(description="admin user pxc logs in as")]
    password: Annotated[Password, Field(description="{env: NAME} or {file: path}")]


TlsModeName = Literal["disabled", "preferred", "required", "verify_ca", "verify_identity"]
DEFAULT_TLS_MODE: TlsModeName = "preferred"
PemSource = StrictStr | SecretRef
_PEM = (
    "a path to a PEM file (relative: to the first spec file), or {env: NAME} / {file: path} "
    "holding the PEM text or its path"
)


class AdminTls(_Strict):
    """How pxc protects its admin connections; the modes are the mysql client's --ssl-mode."""

    mode: Annotated[
        TlsModeName | None,
        Field(
            description="disabled, preferred (default: TLS whenever the node offers it), "
            "required, verify_ca (the certificate is signed by `ca`), verify_identity (and "
            "names the host or `server_name`)"
        ),
    ] = None
    ca: Annotated[
        PemSource | None, Field(description="the CA that signed the node's certificate; " + _PEM)
    ] = None
    cert: Annotated[PemSource | None, Field(description="client certificate; " + _PEM)] = None
    key: Annotated[PemSource | None, Field(description="client certificate's key; " + _PEM)] = None
    server_name: Annotated[
        StrictStr | None,
        Field(min_length=1, description="the name verify_identity checks (default: host)"),
    ] = None


class ClusterAdmin(AdminCredentials):
    tls: Annotated[
        AdminTls | None, Field(description="admin TLS for every node; a node's `tls:` overrides")
    ] = None


class Node(_Strict):
    name: Annotated[StrictStr, Field(min_length=1, description="a name for this node")]
    host: Annotated[StrictStr, Field(min_length=1, description="admin interface address")]
    port: Annotated[StrictInt, Field(ge=1, le=65535, description="admin port")] = 6032
    admin: AdminCredentials | None = None
    tls: Annotated[
        AdminTls | None,
        Field(description="admin TLS for this node: its keys override `cluster.admin.tls`"),
    ] = None


ProxysqlVersion = Literal["2.7", "3.0"]


class Cluster(_Strict):
    name: StrictStr | None = None
    proxysql_version: Annotated[
        ProxysqlVersion,
        Field(
            description='the ProxySQL release series the nodes run: "2.7" (default) or "3.0"; '
            "validate checks tables, columns and variables against it"
        ),
    ] = "2.7"
    primary: Annotated[StrictStr, Field(description="the only node pxc writes synced modules to")]
    admin: ClusterAdmin | None = None
    nodes: Annotated[list[Node], Field(min_length=1)]

    def tls_for(self, node: Node) -> AdminTls:
        """A node's admin TLS settings: its own `tls:` keys over `cluster.admin.tls`."""
        base = self.admin.tls if self.admin is not None and self.admin.tls is not None else None
        if node.tls is None:
            return base or AdminTls()
        if base is None:
            return node.tls
        return base.model_copy(update={k: getattr(node.tls, k) for k in node.tls.model_fields_set})


def _schema_extra(column: Column) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    check = column.check
    if isinstance(check, Range) and not column.hostgroup:
        if check.min is not None:
            extra["minimum"] = check.min
        if check.max is not None:
            extra["maximum"] = check.max
    elif isinstance(check, OneOf) and not column.flag and not check.case_insensitive:
        extra["enum"] = list(check.values)
    elif isinstance(check, StartsWith):
        extra["pattern"] = "^" + "\\" + check.prefix
    if column.has_default and column.default is not None:
        extra["default"] = column.default
    return extra


def _annotation(column: Column) -> Any:
    base: Any
    if column.kind is Kind.INT:
        base = StrictInt
        if column.hostgroup:
            base = StrictInt | StrictStr
        elif column.flag:
            base = StrictInt | StrictBool
    elif column.kind is Kind.JSON:
        base = dict[str, Any] | list[Any] | StrictStr
    else:
        base = Password if column.secret else StrictStr
    if not column.not_null:
        base = base | None
    return base


def _plain_types(column: Column) -> frozenset[type]:
    """The types of value `_annotation(column)` accepts as they are, apart from a secret
    reference: exactly these types, no subclass (a bool is not an int here)."""
    types: set[type] = {str}
    if column.kind is Kind.INT:
        types = {int, str} if column.hostgroup else {int, bool} if column.flag else {int}
    if not column.not_null:
        types.add(type(None))
    return frozenset(types)


def _plain_reference(value: Any) -> bool:
    """`{env: NAME}` or `{file: path}`, a non-empty text: a reference SecretRef accepts."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((key, text),) = value.items()
    return key in ("env", "file") and type(text) is str and text != ""


@functools.cache
def plain_row(table_name: str) -> Callable[[Any], bool]:
    """A check that a written row is one the table's row model accepts as it is: every key a
    column, every required column there, every value of a type its annotation takes without
    a question (text, integer, flag, null where allowed, a one-key secret reference).
    False means only "ask the model": it decides, and words what is wrong."""
    table = TABLE_BY_NAME[table_name]
    types = {c.name: _plain_types(c) for c in table.columns}
    secret = frozenset(c.name for c in table.columns if c.secret)
    required = frozenset(c.name for c in table.columns if c.required)

    def plain(row: Any) -> bool:
        if not isinstance(row, dict) or not required <= row.keys():
            return False
        for key, value in row.items():
            accepted = types.get(key)
            if accepted is None:
                return False
            if type(value) not in accepted and not (key in secret and _plain_reference(value)):
                return False
        return True

    return plain


def _row_model(table: Table) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for column in table.columns:
        description = column.description or ""
        info = Field(
            ... if column.required else None,
            description=description or None,
            json_schema_extra=_schema_extra(column) or None,
        )
        fields[column.name] = (_annotation(column), info)
    model = create_model(
        "".join(part.capitalize() for part in table.name.split("_")) + "Row",
        __config__=ConfigDict(extra="forbid", frozen=True),
        __doc__=table.description,
        **fields,
    )
    return model


VariableValue = StrictBool | StrictInt | StrictFloat | StrictStr | SecretRef | None
Severityish = Literal["error", "warning", "info", "off"]


def _optional_list_of(model: type[BaseModel]) -> Any:
    return Optional[List[model]]  # type: ignore[valid-type]  # noqa: UP006, UP045


# The top-level sections, in the order the schema lists them.
SECTIONS: tuple[str, ...] = (
    "version",
    "cluster",
    "hostgroups",
    *(t.name for t in TABLES),
    "mysql_variables",
    "admin_variables",
    "pgsql_variables",
    "rules",
)


@functools.cache
def _row_model_of(table_name: str) -> type[BaseModel]:
    return _row_model(TABLE_BY_NAME[table_name])


@functools.cache
def _spec_model(tables: tuple[str, ...]) -> type[BaseModel]:
    """The spec model with a field for each table in `tables` (in TABLES order).

    A table's row model costs milliseconds to build and a pxc run starts fresh, so only the
    tables a spec writes get one: a spec without a table validates the same against the
    model without that table's field (the field is optional), and a section that is not a
    table is in every model, so a misspelt one is still an extra key."""
    fields: dict[str, Any] = {
        "version": (
            Literal[1],
            Field(..., description="the spec format version; always 1"),
        ),
        "cluster": (
            Cluster | None,
            Field(None, description="the ProxySQL Cluster pxc manages; needed by plan/apply"),
        ),
        "hostgroups": (
            dict[str, StrictInt] | None,
            Field(None, description="hostgroup names and their ids"),
        ),
    }
    for name in tables:
        fields[name] = (
            _optional_list_of(_row_model_of(name)),
            Field(
                None,
                description=f"{TABLE_BY_NAME[name].description} Present: the whole truth "
                "for this table.",
            ),
        )
    fields["mysql_variables"] = (
        dict[str, VariableValue] | None,
        Field(None, description="mysql-* variables without the prefix; only those listed"),
    )
    fields["admin_variables"] = (
        dict[str, VariableValue] | None,
        Field(None, description="admin-* variables without the prefix; only those listed"),
    )
    fields["pgsql_variables"] = (
        dict[str, VariableValue] | None,
        Field(
            None,
            description="pgsql-* variables without the prefix; only those listed "
            '(ProxySQL 3.0: cluster.proxysql_version "3.0")',
        ),
    )
    fields["rules"] = (
        dict[str, Severityish] | None,
        Field(None, description="severity overrides for findings, by code or name"),
    )
    model = create_model(
        "Spec",
        __config__=ConfigDict(extra="forbid", frozen=True, title="pxc spec v1"),
        __doc__="A pxc spec: the desired configuration of a ProxySQL 2.7 or 3.0 cluster.",
        **fields,
    )
    return model


def spec_model(sections: Iterable[str]) -> type[BaseModel]:
    """The model that validates a spec writing `sections` (its top-level keys)."""
    written = frozenset(sections)
    return _spec_model(tuple(t.name for t in TABLES if t.name in written))


def full_spec_model() -> type[BaseModel]:
    """The model with every table: the one the JSON Schema describes."""
    return spec_model(SECTIONS)


def json_schema() -> dict[str, Any]:
    schema = full_spec_model().model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://pxc.dev/schemas/pxc-spec-v1.json"
    return schema
