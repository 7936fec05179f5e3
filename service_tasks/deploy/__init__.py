"""Deployment of a fix to the colocation server (step 5 of the maintenance SOP).

Three parts: ``config`` reads the administrator's targets (the TOML file named by
``SOPFLOW_DEPLOY_CONFIG``, see ``deploy.example.toml`` beside ``deploy.sh``)::

    [apps.perizinan_online]
    git = "https://git.example.go.id/dinas/perizinan.git"   # or: source = "/srv/build/perizinan"
    host = "colo.example.go.id"
    user = "deploy"
    path = "/var/www/perizinan"
    ssh_key = "/etc/sopflow/deploy_ed25519"
    known_hosts = "/etc/sopflow/known_hosts"
    post_deploy = "php artisan migrate --force"

``runner`` runs the upload, ``deploy.sh`` (rsync over SSH; a target's ``script`` key may name
another script), in its own process group with a timeout, streaming its output line by line to
``on_output`` and keeping it, bounded, for the result's ``log``. ``connector`` is the
``deploy_to_colocation`` connector and its ``CONNECTOR`` record.
"""

from .config import CONFIG_ENV, DEFAULT_SCRIPT, DEFAULT_TIMEOUT, Target, load_targets
from .connector import CONNECTOR, DeploymentError, deploy_to_colocation

__all__ = [
    "CONFIG_ENV",
    "CONNECTOR",
    "DEFAULT_SCRIPT",
    "DEFAULT_TIMEOUT",
    "DeploymentError",
    "Target",
    "deploy_to_colocation",
    "load_targets",
]
