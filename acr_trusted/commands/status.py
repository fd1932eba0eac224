"""``acr-trusted status``: the registry's network posture and what it means for trusted services."""

from __future__ import annotations

import argparse

from acr_trusted.commands._azure import (
    EXIT_OK,
    add_azure_arguments,
    connection_kwargs,
    emit,
    posture_as_dict,
    registry_ref,
    render_mapping,
    run_azure,
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_azure_arguments(parser)


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        from acr_trusted.azure.registry import get_posture

        ref = registry_ref(args)
        data = posture_as_dict(get_posture(ref, **connection_kwargs(args)))
        emit(args, {"registry": ref.id, **data}, f"{ref.id}\n{render_mapping(data, '  ')}")
        return EXIT_OK

    return run_azure("status", body)
