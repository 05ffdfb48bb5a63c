from gonghui.conftest import *  # noqa: F403 - shared fixtures for the top-level tests too
