"""`config.settings` is the production-safe default: everything comes from the environment."""

from .base import *  # noqa: F403
