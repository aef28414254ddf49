"""The WSGI entry: `gunicorn -c gateway/gunicorn.conf.py loconomics_gateway.wsgi:app`."""

from .app import create_app

app = create_app()
