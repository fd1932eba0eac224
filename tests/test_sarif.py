from __future__ import annotations

from acr_trusted import __version__
from acr_trusted.lint.findings import RULES
from acr_trusted.sarif import SARIF_SCHEMA, log, rule_descriptor, rule_indices


def test_rule_descriptor_comes_from_the_rule_table() -> None:
    """Name, summary, help page and default level are the linter's."""
    descriptor = rule_descriptor("ACRT004")
    assert descriptor["name"] == RULES["ACRT004"].name
    assert descriptor["helpUri"].endswith("/ACRT004.md")
    assert descriptor["defaultConfiguration"] == {"enabled": True, "level": "warning"}


def test_rule_indices_follow_the_driver_rules() -> None:
    """ruleIndex points into the driver's rule list, all rules by default."""
    assert list(rule_indices()) == list(RULES)
    assert rule_indices(["ACRT007", "ACRT001"]) == {"ACRT007": 0, "ACRT001": 1}


def test_log_is_one_run_of_one_tool() -> None:
    """The envelope names the schema, version, tool and carries results and run properties."""
    document = log("tool", [{"ruleId": "ACRT001"}], rule_ids=["ACRT001"], run_properties={"n": 1})
    assert document["$schema"] == SARIF_SCHEMA
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    assert run["tool"]["driver"]["name"] == "tool"
    assert run["tool"]["driver"]["version"] == __version__
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["ACRT001"]
    assert run["results"] == [{"ruleId": "ACRT001"}]
    assert run["properties"] == {"n": 1}


def test_column_kind_for_file_results() -> None:
    document = log("acr-trusted-lint", [], column_kind="unicodeCodePoints")
    assert document["runs"][0]["columnKind"] == "unicodeCodePoints"
    assert "columnKind" not in log("acr-trusted audit", [])["runs"][0]
