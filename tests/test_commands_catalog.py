from __future__ import annotations

from acr_trusted.commands.catalog import catalog_as_dict, render_table


def test_dict_lists_every_role_with_its_modes() -> None:
    data = catalog_as_dict()
    roles = {r["name"]: r for r in data["roles"]}  # type: ignore[attr-defined]
    assert roles["AcrPull"]["abac"] == []
    assert roles["Container Registry Repository Reader"]["abac"] == ["pull"]


def test_table_names_the_tasks_switch() -> None:
    assert "networkRuleBypassAllowedForTasks" in render_table()
