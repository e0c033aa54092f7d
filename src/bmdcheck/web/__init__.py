"""The control room: ``bmdcheck serve``, the engine behind a browser page (docs/CONTROL-ROOM.md).

``bmdcheck.web.app.create_app(Settings(...))`` is the FastAPI app; nothing here is imported by the
command line until ``serve`` runs (tests/test_startup.py).
"""
