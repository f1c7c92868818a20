"""The Python client: a small library (``Codette``) and the command line (``python -m client``)."""

from client.library import Codette, Sent, Session
from client.rest import ClientError
from client.summary import Row, row_from_result

__all__ = ["ClientError", "Codette", "Row", "Sent", "Session", "row_from_result"]
