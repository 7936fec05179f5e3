"""The one error type connectors raise."""


class ConnectorError(RuntimeError):
    """A connector could not do its work; the message is shown on the incident."""
