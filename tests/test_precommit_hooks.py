"""The hooks as users run them: the real pre-commit framework, and the plain git hook script.

pre-commit installs this repository (HEAD plus uncommitted changes to tracked files, as
``pre-commit try-repo`` does) into its own virtualenv once per module: ``PRE_COMMIT_HOME`` is a
module-scoped temporary directory, and the hook repository is a shadow clone committed with
the working tree's changes. Installing needs the package registry only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
BAD = """\
resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'contosoacr'
  location: 'westeurope'
  sku: {
    name: 'Premium'
  }
  properties: {
    publicNetworkAccess: 'Disabled'
    networkRuleBypassOptions: 'None'
  }
}
"""
GOOD = BAD.replace("'None'", "'AzureServices'")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=stdin, check=True, capture_output=True
    ).stdout


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    git("init", "-q", cwd=path)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    git("add", "--", *files, cwd=path)
    return path


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This repository at HEAD plus uncommitted changes to tracked files, committed."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    shadow = tmp_path_factory.mktemp("hook-repo") / "acr-trusted"
    git("clone", "-q", str(ROOT), str(shadow), cwd=ROOT)
    patch = git("diff", "HEAD", "--binary", cwd=ROOT)
    if patch:
        git("apply", "--whitespace=nowarn", "-", cwd=shadow, stdin=patch)
        git("commit", "-q", "-a", "-m", "working tree", cwd=shadow)
    return shadow, git("rev-parse", "HEAD", cwd=shadow).decode().strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(repo: Path, home: Path, hook_repo: tuple[Path, str], *args: str) -> tuple[int, str]:
    url, rev = hook_repo
    config = (
        f"repos:\n- repo: {url}\n  rev: {rev}\n  hooks:\n"
        "  - id: acr-trusted-lint\n  - id: acr-trusted-fix\n    stages: [manual]\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [str(BIN / "pre-commit"), "run", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stdout + done.stderr


def test_manifest_hooks_share_one_entry_point() -> None:
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"acr-trusted-lint", "acr-trusted-fix"}
    assert {h["entry"] for h in hooks.values()} == {"acr-trusted-lint"}
    assert hooks["acr-trusted-fix"]["args"] == ["--fix"]
    pattern = re.compile(hooks["acr-trusted-lint"]["files"])
    handled = [
        "a.bicep",
        "a.bicepparam",
        "a.json",
        "a.tf",
        "a.tfvars",
        "a.tf.json",
        "x.auto.tfvars",
    ]
    assert all(pattern.search(name) for name in handled)
    assert not any(pattern.search(name) for name in ("a.yaml", "a.tf.bak", "bicep.md"))


def test_pre_commit_lint_hook_fails_on_the_bad_file_only(
    tmp_path: Path, pre_commit_home: Path, hook_repo: tuple[Path, str]
) -> None:
    repo = make_repo(tmp_path / "infra", {"bad.bicep": BAD, "good.bicep": GOOD})
    code, output = pre_commit(
        repo, pre_commit_home, hook_repo, "acr-trusted-lint", "--files", "good.bicep"
    )
    assert code == 0, output
    assert "Passed" in output
    code, output = pre_commit(repo, pre_commit_home, hook_repo, "acr-trusted-lint", "--all-files")
    assert code == 1, output
    assert "bad.bicep:9:" in output
    assert "ACRT001 [error]" in output
    assert "good.bicep" not in output.replace("good.bicep:", "")  # nothing reported for it


def test_pre_commit_fix_hook_rewrites_the_bad_file(
    tmp_path: Path, pre_commit_home: Path, hook_repo: tuple[Path, str]
) -> None:
    repo = make_repo(tmp_path / "infra", {"bad.bicep": BAD, "good.bicep": GOOD})
    args = ("--hook-stage", "manual", "acr-trusted-fix", "--all-files")
    code, output = pre_commit(repo, pre_commit_home, hook_repo, *args)
    assert code == 1, output
    assert "fixed ACRT001: 'None' -> 'AzureServices'" in output
    assert (repo / "bad.bicep").read_text(encoding="utf-8") == GOOD
    assert (repo / "good.bicep").read_text(encoding="utf-8") == GOOD
    code, output = pre_commit(repo, pre_commit_home, hook_repo, *args)
    assert code == 0, output


@pytest.fixture
def lint_on_path() -> dict[str, str]:
    return {**os.environ, **GIT_ENV, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_plain_hook(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ROOT / "hooks" / "pre-commit")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


def test_plain_git_hook_lints_staged_files(tmp_path: Path, lint_on_path: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "infra", {"good.bicep": GOOD, "notes.md": "registry"})
    assert run_plain_hook(repo, lint_on_path).returncode == 0
    (repo / "bad one.bicep").write_text(BAD, encoding="utf-8")
    assert run_plain_hook(repo, lint_on_path).returncode == 0  # not staged yet
    git("add", "bad one.bicep", cwd=repo)
    done = run_plain_hook(repo, lint_on_path)
    assert done.returncode != 0
    assert "bad one.bicep:9:" in done.stdout
    assert "ACRT001" in done.stdout


def test_plain_git_hook_with_nothing_staged_and_a_missing_linter(
    tmp_path: Path, lint_on_path: dict[str, str]
) -> None:
    repo = make_repo(tmp_path / "empty", {})
    assert run_plain_hook(repo, lint_on_path).returncode == 0
    missing = {**lint_on_path, "ACR_TRUSTED_LINT": "no-such-acr-trusted-lint"}
    done = run_plain_hook(repo, missing)
    assert done.returncode == 1
    assert "no-such-acr-trusted-lint not found" in done.stderr
