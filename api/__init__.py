"""The HTTP and Socket.IO API; see api.app.create_app."""
