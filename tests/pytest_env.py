"""Environment for the test run, set before Django reads its settings (loaded with `-p`)."""

import os

os.environ.setdefault("ALLOW_DEV_SECRET_KEY", "1")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
