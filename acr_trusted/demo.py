"""``make demo``: lint the sample IaC, then walk the trusted-services worked example on LocalAzure.

The scenario follows the document "Allow trusted services to securely access a
network-restricted container registry" as a reader would, step by step, against an embedded
LocalAzure (an emulator on 127.0.0.1; nothing here talks to Azure), and shows what changed in
2025: with trusted services on but the tasks switch off the run is refused with 403; with the
switch on it succeeds; with trusted access off it fails. It ends with a summary table.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from attrs import frozen

SAMPLES = Path(__file__).resolve().parent.parent / "examples" / "iac"
DEMO_POLL_INTERVAL = 0.2


def lint_samples(out: TextIO | None = None) -> None:
    """Lint ``examples/iac`` (bad samples have findings on purpose; they do not fail the demo)."""
    out = out or sys.stdout
    print("== 1. acr-trusted-lint examples/iac (bad and good samples per format) ==", file=out)
    if not SAMPLES.is_dir():
        print(f"(skipped: {SAMPLES} is not here; run the demo from a clone)", file=out)
        return
    try:
        from acr_trusted.lint.cli import main as lint_main
    except ImportError as exc:
        print(f"(skipped: the linter cannot be imported: {exc})", file=out)
        return
    code = lint_main([str(SAMPLES)])
    print(f"(exit {code}: findings in the bad samples are expected)", file=out)


@frozen
class Row:
    """One line of the summary table."""

    step: str
    settings: str
    expected: str
    observed: str

    @property
    def as_expected(self) -> bool:
        return self.expected == self.observed


def _table(rows: list[Row]) -> str:
    header = ("step", "registry settings", "expected", "observed", "")
    cells = [
        header,
        *(
            (r.step, r.settings, r.expected, r.observed, "ok" if r.as_expected else "UNEXPECTED")
            for r in rows
        ),
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(header))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def scenario(out: TextIO | None = None, *, poll_interval: float = DEMO_POLL_INTERVAL) -> bool:
    """The worked example on an embedded LocalAzure; True when every run went as expected."""
    stream = out or sys.stdout
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.containerregistrytasks import ContainerRegistryTasksMgmtClient
    from azure.mgmt.containerregistrytasks import models as tm

    from acr_trusted.azure.rbac import grant_push
    from acr_trusted.azure.registry import (
        disable_trusted_access,
        enable_trusted_access,
        patch_registry,
    )
    from acr_trusted.azure.tasks import (
        ensure_identity_credential,
        ensure_source_login_none,
        ensure_system_identity,
    )
    from acr_trusted.azure.workflows import setup_task_access, verify_task_bypass
    from acr_trusted.testing import LocalAzure

    def say(line: str = "") -> None:
        print(line, file=stream, flush=True)

    rows: list[Row] = []
    say("== 2. the worked example, against LocalAzure (an emulator on 127.0.0.1, not Azure) ==")
    with LocalAzure() as az:
        azure: dict[str, Any] = dict(az.kwargs)
        ref = az.add_registry("contoso")
        tasks = az.client(ContainerRegistryTasksMgmtClient)
        registries = az.client(ContainerRegistryManagementClient)

        def settings() -> str:
            props = az.registry(ref)["properties"]
            return (
                f"public {props['publicNetworkAccess']}, "
                f"trusted {props['networkRuleBypassOptions']}, "
                f"tasks {str(props['networkRuleBypassAllowedForTasks']).lower()}"
            )

        def run(step: str, expected: str) -> None:
            verification = verify_task_bypass(
                ref,
                "hello",
                poll_interval=poll_interval,
                progress=lambda s: say(f"    {s}"),
                **azure,
            )
            observed = "succeeded" if verification.succeeded else "failed"
            rows.append(Row(step, settings(), expected, observed))

        def step(title: str, action: Callable[[], object] | None = None) -> None:
            say()
            say(f"-- {title}")
            if action is not None:
                action()

        step("registry 'contoso' (Premium) and task 'hello' (az acr task create)")
        tasks.tasks.create(
            ref.resource_group,
            ref.name,
            "hello",
            tm.Task(
                location=az.registry(ref)["location"],
                properties=tm.TaskProperties(
                    platform=tm.PlatformProperties(os="Linux"),
                    step=tm.DockerBuildStep(
                        image_names=["hello-world:{{.Run.ID}}"],
                        docker_file_path="Dockerfile",
                        context_path="https://github.com/Azure-Samples/acr-build-helloworld-node.git",
                    ),
                ),
            ),
        )
        say(f"    {settings()}")

        step("document steps 1-3: system identity, --auth-mode None, credential [system], AcrPush")
        _, principal = ensure_system_identity(tasks, ref, "hello")
        say(f"    task identity: {principal}")
        ensure_source_login_none(tasks, ref, "hello")
        ensure_identity_credential(tasks, ref, "hello", "contoso.azurecr.io")
        say("    credential: contoso.azurecr.io -> [system]")
        say(f"    role: {grant_push(ref, principal, **azure).role_name}")
        enable_trusted_access(ref, **azure)
        say("    allow trusted services: on (the default)")

        step("document step 4: disable public access")
        patch_registry(registries, ref, {"public_network_access": "Disabled"})
        say(f"    {settings()}")

        step("document step 5: run the task (2025: the tasks switch is off, so 403)")
        run("run, tasks switch off", "failed")

        step("acr_trusted.setup_task_access: the whole workflow in one idempotent call")
        result = setup_task_access(ref, "hello", **azure)
        say(result.to_text())

        step("run the task again: trusted services on and tasks switch on")
        run("run, both switches on", "succeeded")

        step("the document's disable test: --allow-trusted-services false, run again")
        disable_trusted_access(ref, **azure)
        run("run, trusted access off", "failed")
        enable_trusted_access(ref, **azure)

        step(
            "acr_trusted.verify_task_bypass(prove=True): the experiment, restoring what it changes"
        )
        proof = verify_task_bypass(
            ref,
            "hello",
            prove=True,
            poll_interval=poll_interval,
            progress=lambda s: say(f"    {s}"),
            **azure,
        )
        rows.append(
            Row("verify --prove", settings(), "proved", "proved" if proof.proved else "not proved")
        )

    say()
    say("== summary ==")
    say(_table(rows))
    return all(r.as_expected for r in rows)


def main() -> int:
    lint_samples()
    print()
    return 0 if scenario() else 1


if __name__ == "__main__":
    sys.exit(main())
