"""The container files an operator runs: no fixed secret, a non-root image, and the
dependencies installed in a layer of their own, before the source is copied."""

import re
import tomllib
from typing import Any

import yaml

from tests.conftest import ROOT


def test_compose_has_no_fixed_secret() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    secrets = {
        "POSTGRES_PASSWORD": compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"],
        "LEDGER_ADMIN_TOKEN": compose["services"]["api"]["environment"]["LEDGER_ADMIN_TOKEN"],
    }
    for name, value in secrets.items():
        # ${NAME:?message}: compose refuses to start without it; no default to fall back on.
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", value), (name, value)
    url = compose["services"]["api"]["environment"]["LEDGER_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD}" in url


def test_image_installs_dependencies_first_and_runs_unprivileged() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    index = {line.split()[0] + " " + line.split()[1]: i for i, line in enumerate(lines)}
    first_install = next(i for i, line in enumerate(lines) if "pip install" in line)
    assert first_install < index["COPY service"]
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    assert lines.index(users[-1]) < next(i for i, ln in enumerate(lines) if ln.startswith("CMD"))


def test_sqlite_side_files_are_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    for pattern in (
        "*.db-shm",
        "*.db-wal",
        "royalty-ledger.demo.env",
        "royalty-ledger.admin-token",
    ):
        assert pattern in ignored


# --- issue #26: a deployment to sign off --------------------------------------------------


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]


def test_the_signing_key_survives_recreating_the_container() -> None:
    """The key comes from a Docker secret backed by a host file the operator names (no
    default), never from a path in the container's own layer."""
    compose = _compose()
    api = compose["services"]["api"]
    configured = api["environment"]["LEDGER_SIGNING_KEY"]
    assert "LEDGER_SIGNING_KEY_FILE" not in api["environment"]  # the generated-file fallback
    secret_names = [s if isinstance(s, str) else s["source"] for s in api["secrets"]]
    mounted = {
        (s if isinstance(s, str) else s.get("target", s["source"])): name
        for s, name in zip(api["secrets"], secret_names, strict=True)
    }
    assert configured.startswith("/run/secrets/")
    name = mounted[configured.removeprefix("/run/secrets/")]
    source = compose["secrets"][name]
    assert set(source) == {"file"}, source  # a host file, not generated, not external-less
    assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", source["file"]), source["file"]
    # The image, too, points at the secret: a container without it refuses to start.
    env = " ".join(line for line in _dockerfile() if line.startswith("ENV "))
    assert f"LEDGER_SIGNING_KEY={configured}" in env


def test_no_service_keeps_state_in_its_container_layer() -> None:
    """Every volume a service mounts is named (declared at the top) or a read-only file of
    the repository: a recreated container loses nothing."""
    compose = _compose()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, _target, *mode = volume.split(":")
            if source.startswith("./"):
                assert mode == ["ro"] and (ROOT / source).is_file(), (name, volume)
            else:
                assert source in compose["volumes"], (name, volume)


def test_profiles_tls_in_front_with_caddy() -> None:
    compose = _compose()
    caddy = compose["services"]["caddy"]
    assert caddy["profiles"] == ["tls"] and caddy["image"].startswith("caddy:")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"reverse_proxy api:8000\b", caddyfile)
    assert "health_uri /healthz" in caddyfile
    # Logs to stdout only: every log directive writes there, none to a file.
    outputs = re.findall(r"^\s*output (\S+)", caddyfile, flags=re.MULTILINE)
    assert outputs and set(outputs) == {"stdout"}
    assert "LEDGER_PUBLIC_URL" in compose["services"]["api"]["environment"]
    # Only the proxy is exposed beyond the host; the API listens on the loopback.
    assert all(p.startswith("127.0.0.1:") for p in compose["services"]["api"]["ports"])


def test_every_service_is_healthchecked_limited_and_restarted() -> None:
    for name, service in _compose()["services"].items():
        assert service["healthcheck"]["test"], name
        limits = service["deploy"]["resources"]["limits"]
        assert limits["cpus"] and limits["memory"], name
        assert service["restart"] == "unless-stopped", name
    api = _compose()["services"]["api"]
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert api["user"].split(":")[0] not in ("0", "root")
    assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in _dockerfile())


def _locked(lock: str) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", (ROOT / lock).read_text(), re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins}


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", r)[0]).lower() for r in requirements}


def test_the_image_and_make_install_install_the_hashed_locks() -> None:
    lines = _dockerfile()
    install = next(i for i, line in enumerate(lines) if "pip install" in line)
    assert "--require-hashes -r requirements.lock" in lines[install]
    assert (
        lines.index("COPY requirements.lock ./") < install < lines.index("COPY service ./service")
    )
    assert all("--no-deps" in line for line in lines[install + 1 :] if "pip install" in line)
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in makefile
    assert re.search(r"^lock: ", makefile, re.MULTILINE)
    assert "make install" in (ROOT / ".ci" / "run").read_text()
    assert "make audit" in (ROOT / ".ci" / "run").read_text()


def test_the_locks_pin_every_dependency_with_hashes() -> None:
    """A dependency added to pyproject.toml without `make lock` fails here, not in CI's
    install; the runtime lock is the dev lock's subset, at the same versions."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _locked("requirements.lock"), _locked("requirements-dev.lock")
    assert _requirement_names(project["dependencies"]) <= runtime.keys()
    assert _requirement_names(project["optional-dependencies"]["dev"]) <= dev.keys()
    assert {name: dev[name] for name in runtime if name in dev} == {
        name: version for name, version in runtime.items() if name in dev
    }
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text()
        assert text.count("==") == len(re.findall(r"^\S+==\S+ \\$", text, re.MULTILINE))
        for block in re.split(r"\n(?=\S)", text):
            if "==" in block.split("\n")[0]:
                assert "--hash=sha256:" in block, block.split("\n")[0]
        assert "file://" not in text and "--find-links" not in text and "--index-url" not in text
