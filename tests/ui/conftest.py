import pytest

from app.demo import generate_demo
from tests.app.test_demo import AS_OF


@pytest.fixture
def demo_db(db):
    generate_demo(db, patients=30, seed=11, as_of=AS_OF)
    return db
