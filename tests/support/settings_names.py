"""The environment names recap's settings are read from, enumerated from the settings model itself,
so that every document that lists settings (.env.example, deploy/, the README's table) is checked
against the same truth."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, TypeAdapter

from bot.settings import Settings


def setting_names() -> dict[str, str]:
    """Every environment name Settings reads, to the field it sets: RECAP_<FIELD>, or the aliases."""
    prefix = Settings.model_config.get("env_prefix", "")
    names: dict[str, str] = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update({choice.upper(): field_name for choice in alias.choices if isinstance(choice, str)})
        elif isinstance(alias, str):
            names[alias.upper()] = field_name
        else:
            names[f"{prefix}{field_name}".upper()] = field_name
    return names


def names_by_field() -> dict[str, set[str]]:
    """Each field to every name that sets it (ANTHROPIC_API_KEY and RECAP_ANTHROPIC_API_KEY both)."""
    by_field: dict[str, set[str]] = {}
    for name, field_name in setting_names().items():
        by_field.setdefault(field_name, set()).add(name)
    return by_field


def setting_value(name: str, value: str) -> Any:
    """The value a setting takes from this string, as pydantic-settings would parse it."""
    field = Settings.model_fields[setting_names()[name]]
    return TypeAdapter(field.annotation).validate_python(value)
