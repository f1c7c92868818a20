"""The adapters: every Redis and filesystem implementation of service.ports, wired by store.wiring."""
