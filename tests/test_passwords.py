"""Passwords compare by meaning: clear text and both hash forms of one secret are equal."""

from proxysql_iac.plan.diff import same_value
from proxysql_iac.secrets import caching_sha2_hash, native_password_hash, password_matches
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import TABLE_BY_NAME

PASSWORD = TABLE_BY_NAME["mysql_users"].column_by_name["password"]


def test_native_hash_matches_what_proxysql_2_7_1_answered() -> None:
    # SELECT MYSQL_NATIVE_PASSWORD('password') on a real 2.7.1 (recordings' README)
    assert native_password_hash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"


def test_caching_sha2_hash_matches_what_proxysql_2_7_1_answered() -> None:
    # SELECT CACHING_SHA2_PASSWORD('password', '01234567890123456789') on a real 2.7.1
    assert (
        caching_sha2_hash("password", "01234567890123456789")
        == "$A$005$01234567890123456789lWM2.mrO3jwV6WIkUnclHCEWnfAl8W74XeDX0Iq6EkA"
    )


def test_stored_hashes_and_clear_text_of_one_secret_are_no_change() -> None:
    def resolve(ref: SecretRef) -> str:
        return "password"

    ref = SecretRef(env="APP_PW")
    for stored in (
        "password",
        "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",
        "*2470c0c06dee42fd1618bb99005adca2ec9d1e19",
        "$A$005$01234567890123456789lWM2.mrO3jwV6WIkUnclHCEWnfAl8W74XeDX0Iq6EkA",
    ):
        assert same_value(PASSWORD, ref, stored, resolve), stored


def test_a_different_secret_is_a_change() -> None:
    sha2 = "$A$005$01234567890123456789lWM2.mrO3jwV6WIkUnclHCEWnfAl8W74XeDX0Iq6EkA"  # "password"
    assert not password_matches("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", "Password")
    assert not password_matches(sha2, "Password")
    assert not same_value(PASSWORD, SecretRef(env="X"), "other", lambda ref: "password")
    assert not same_value(PASSWORD, SecretRef(env="X"), sha2, lambda ref: "Password")
    assert not same_value(PASSWORD, "Password", sha2, lambda ref: "")


def test_a_hash_in_the_spec_equals_the_clear_text_stored() -> None:
    spec_hash = native_password_hash("s3cret")
    assert same_value(PASSWORD, spec_hash, "s3cret", lambda ref: "")


def test_node_text_is_redacted_by_whole_value_and_only_long_values() -> None:
    from proxysql_iac.secrets import MIN_REDACTED_LENGTH, SecretStore

    store = SecretStore()
    for value in ("monitor", "mysql", "radmin", "s3cr3t-Pa55w0rd", "!x$secret"):
        store.remember(value)
    assert MIN_REDACTED_LENGTH == 6
    # names that contain a secret are left alone: only the value standing on its own goes
    assert store.redact("set variable mysql-monitor_password") == (
        "set variable mysql-monitor_password"
    )
    assert store.redact("near 'monitor': syntax error") == "near '<secret>': syntax error"
    assert store.redact("no such table: mysql") == "no such table: mysql"  # 5 characters
    assert store.redact("Access denied for user 'radmin'") == "Access denied for user '<secret>'"
    assert store.redact("x s3cr3t-Pa55w0rd2 y") == "x s3cr3t-Pa55w0rd2 y"
    assert store.redact("value s3cr3t-Pa55w0rd.") == "value <secret>."
    assert store.redact("quoted:!x$secret") == "quoted:<secret>"
