import pytest
from assess_helpers import TINY


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny shared scenario (assess_helpers.TINY) written to a file."""
    p = tmp_path_factory.mktemp("sc") / "tiny.toml"
    p.write_text(TINY)
    return p
