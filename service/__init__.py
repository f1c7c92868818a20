"""The application layer: plain functions over the ports in service/ports.py (no Flask, Celery or redis)."""
