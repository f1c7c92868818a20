"""The command-line client: upload files to a running Codette server and summarise the analyses."""

from client.summary import Row, row_from_result

__all__ = ["Row", "row_from_result"]
