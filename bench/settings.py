"""Settings of the bench process: the app's own settings plus a urlconf with the framework floor.

The environment (DEBUG off, a throwaway SECRET_KEY, …) is set by bench/__main__.py before import.
"""

from governance.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The bench prints its own progress; the app's INFO logging would drown it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
