"""service_tasks.deploy.config: the administrator's targets, every problem named by file, app
and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from service_tasks.deploy import DEFAULT_SCRIPT, load_targets
from service_tasks.errors import ConnectorError

from .deploy_support import write_config


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "deploy.toml"
    config.write_text('[apps.perizinan_online\nsource = "/srv"\n')

    with pytest.raises(ConnectorError) as raised:
        load_targets(config)

    assert str(raised.value).startswith(f"deployment config file {config} is not valid TOML:")


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ({"source": "/srv/a", "path": "/srv/www", "sourec": "x"}, "sourec: unknown key"),
        ({"source": "/srv/a", "git": "/srv/a.git", "path": "/srv/www"}, "source: set either"),
        ({"path": "/srv/www"}, "source: missing"),
        ({"source": "/srv/a"}, "path: missing"),
        ({"source": "/srv/a", "path": "/"}, 'path: must not be "/"'),
        ({"source": "/srv/a", "path": ""}, "path: must not be empty"),
        ({"source": "/srv/a", "path": "www"}, "path: must be an absolute path"),
        ({"source": "/srv/a", "path": "/srv/../etc"}, "path: may only contain"),
        ({"source": "/srv/a", "path": "/srv/www", "port": "22"}, "port: must be a whole number"),
        ({"source": "/srv/a", "path": "/srv/www", "timeout": 0}, "timeout: must be a number"),
        ({"source": "/srv/a", "path": "/srv/www", "exclude": ".env"}, "exclude: must be a list"),
        ({"source": "/srv/a", "path": "/srv/www", "delete": "yes"}, "delete: must be true"),
        ({"source": "/srv/a", "path": "/srv/www", "script": ""}, "script: must not be empty"),
        ({"source": "/srv/a", "path": "/srv/www", "script": 1}, "script: must be a string"),
        ({"source": "/srv/a", "path": "/srv/www", "host": "colo"}, "user: missing"),
        (
            {"source": "/srv/a", "path": "/srv/www", "host": "colo", "user": "deploy"},
            "ssh_key: missing",
        ),
        (
            {"source": "/srv/a", "path": "/srv/www", "host": "-oProxyCommand=x", "user": "d"},
            "host: must be a host name",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_config_problem_is_named_with_file_app_and_key(
    keys: dict, problem: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, **keys)

    with pytest.raises(ConnectorError) as raised:
        load_targets(config)

    assert str(raised.value).startswith(f"{config}: [apps.perizinan_online] {problem}")


def test_example_config_is_valid() -> None:
    targets = load_targets(DEFAULT_SCRIPT.with_name("deploy.example.toml"))

    assert targets["perizinan_online"].post_deploy == "php artisan migrate --force"
    assert targets["perizinan_online"].git
    assert targets["sipd_portal"].source == Path("/srv/build/sipd-portal")
    assert (
        targets["sipd_portal"].describe()
        == "webdeploy@10.20.30.40:/srv/www/sipd-portal (port 2222)"
    )
