"""The REST API (FastAPI): ``api.app.create_app(app)`` over a bootstrapped :class:`~b12care.bootstrap.App`.

The package imports nothing itself, so the web pages can use ``api.problems`` without importing the app
factory (which imports the web pages) first.
"""
