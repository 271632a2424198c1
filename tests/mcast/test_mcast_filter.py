"""Merging per-socket source filters into interface state (RFC 3376 §3.2, RFC 3810 §4.2)."""

from hypothesis import given
from hypothesis import strategies as st

from stack.mcast_filter import ANY_SOURCE, EXCLUDE, INCLUDE, NOT_LISTENING, Filter, Memberships, accepts, merge

A, B, C, D = (bytes([198, 51, 100, i]) for i in range(1, 5))


def f(mode, *srcs):
    return Filter(mode, frozenset(srcs))


def test_rfc3376_3_2_examples():
    # EXCLUDE wins; its list is the intersection of EXCLUDE lists minus the union of INCLUDE lists
    assert merge([f(EXCLUDE, A, B, C), f(EXCLUDE, B, C, D), f(INCLUDE, B, C)]) == f(EXCLUDE)
    assert merge([f(EXCLUDE, A, B, C), f(EXCLUDE, B, C, D), f(INCLUDE, C)]) == f(EXCLUDE, B)
    assert merge([f(INCLUDE, A), f(INCLUDE, B, C)]) == f(INCLUDE, A, B, C)
    assert merge([]) == NOT_LISTENING and merge([ANY_SOURCE, f(INCLUDE, A)]) == ANY_SOURCE


@given(st.lists(st.tuples(st.booleans(), st.sets(st.sampled_from([A, B, C, D]))), max_size=5),
       st.sampled_from([A, B, C, D]))
def test_a_source_passes_the_interface_iff_some_socket_wants_it(socks, src):
    filters = [Filter(EXCLUDE if e else INCLUDE, frozenset(s)) for e, s in socks]
    assert accepts(merge(filters), src) == any(accepts(x, src) for x in filters)


def test_memberships_report_interface_changes_only():
    m = Memberships()
    assert m.set("s1", "eth0", b"G", ANY_SOURCE) == (NOT_LISTENING, ANY_SOURCE)
    assert m.set("s2", "eth0", b"G", f(INCLUDE, A)) == (ANY_SOURCE, ANY_SOURCE)
    assert m.set("s1", "eth0", b"G", NOT_LISTENING) == (ANY_SOURCE, f(INCLUDE, A))
    assert m.sockets("eth0", b"G") == {"s2": f(INCLUDE, A)}
    assert m.drop_socket("s2") == [("eth0", b"G", f(INCLUDE, A), NOT_LISTENING)]
    assert m.records == {} and m.interface_state("eth0", b"G") == NOT_LISTENING
    assert str(f(EXCLUDE, A)) == "EXCLUDE{198.51.100.1}" and not NOT_LISTENING.listening
