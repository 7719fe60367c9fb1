"""Test-session settings shared by every test module."""
from __future__ import annotations

import pytest
from hypothesis import settings

# Property tests are part of CI: the same examples every run (derandomize), no per-example time limit (a
# loaded machine is not a bug) and no example database written into the checkout.
settings.register_profile("esep", derandomize=True, deadline=None, database=None)
settings.load_profile("esep")


@pytest.fixture(autouse=True, scope="session")
def _cache_key_in_a_temporary_folder(tmp_path_factory):
    """The merge cache signs its entries with a key in the user's configuration folder; tests (and the
    command lines they start, which inherit the environment) keep theirs in a temporary one."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    yield
    mp.undo()
