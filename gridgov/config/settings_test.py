"""Settings for the test suite: the ordinary settings with the test profile and a fast hasher."""

import os

os.environ.setdefault("GRIDGOV_PROFILE", "test")

from gridgov.config.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
