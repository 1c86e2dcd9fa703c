import pytest
from .test_result_protocol import RESULT_NAMES, cohort, factories  # noqa: F401


@pytest.mark.parametrize("name", RESULT_NAMES)
def test_table_has_no_nan(factories, name):  # noqa: F811
    t = factories[name]().table()
    num = t.select_dtypes("number")
    bad = [c for c in num.columns if num[c].isna().any()]
    obj = [c for c in t.columns if t[c].dtype == object and t[c].map(lambda v: isinstance(v, float) and v != v).any()]
    assert not bad and not obj, (bad, obj)
