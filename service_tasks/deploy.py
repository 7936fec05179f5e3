"""Deployment of a fix to the colocation server (step 5)."""

import os

from .errors import ConnectorError


def deploy_to_colocation(aplikasi: str, rilis: str) -> dict:
    """Deploy release ``rilis`` of application ``aplikasi`` to its configured target.

    Targets are configured per application in the file named by ``SOPFLOW_DEPLOY_CONFIG``;
    without one there is nowhere to deploy to, which is reported as the step's incident.
    """
    config = os.environ.get("SOPFLOW_DEPLOY_CONFIG")
    if not config or not os.path.isfile(config):
        raise ConnectorError(
            f"no deployment target configured for application '{aplikasi}' "
            "(set SOPFLOW_DEPLOY_CONFIG)"
        )
    raise ConnectorError(f"deployment of '{aplikasi}' release '{rilis}' is not available yet")


# Runs for minutes against a remote server: the worker runs it apart, never inline.
deploy_to_colocation.long_running = True  # type: ignore[attr-defined]
