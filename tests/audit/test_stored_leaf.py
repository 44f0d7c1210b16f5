"""The verifier's fast path gives the very bytes of the canonical encoder."""

from hypothesis import given
from hypothesis import strategies as st

from audit.canonical import canonical_json, event_leaf_data, stored_event_leaf_data

text = st.text(max_size=20)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), text)
payloads = st.dictionaries(text, st.recursive(scalars, lambda c: st.lists(c, max_size=3)
                                              | st.dictionaries(text, c, max_size=3), max_leaves=8),
                           max_size=5)


@given(seq=st.integers(min_value=0, max_value=10**12), actor=st.none() | text, action=text.filter(bool),
       object_type=st.none() | text, object_id=st.none() | text, payload=payloads)
def test_stored_form_equals_canonical(seq, actor, action, object_type, object_id, payload):
    time_iso = "2026-11-27T07:04:15.123456Z"
    expected = event_leaf_data(seq, time_iso, actor, action, object_type, object_id, payload)
    got = stored_event_leaf_data(seq, time_iso, actor, action, object_type, object_id,
                                 canonical_json(payload).decode())
    assert got == expected
