# Shared fixtures for the top-level tests too. Named explicitly: ``import *`` would skip the
# autouse fixtures whose names start with an underscore.
from gonghui.conftest import (  # noqa: F401
    _clear_cache,
    _media_root,
    _sms_outbox,
    sms_outbox,
    world,
)
