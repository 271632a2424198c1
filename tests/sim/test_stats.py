"""The counters every host, link and switch keeps."""

from stack import Network
from stack.stats import Stats


def test_counters_read_zero_without_appearing_and_rank():
    net = Network(seed=1)
    s1 = net.add_switch("s1")
    h = net.add_host("h1", ip="192.0.2.1/24")
    link = net.add_link(h, s1)
    for counters in (h.stats, link.stats, s1.stats):
        assert isinstance(counters, Stats)
        assert counters["never.counted"] == 0 and "never.counted" not in counters  # as Counter's
    st = Stats()
    st["a"] += 2
    st["b"] += 5
    st["a"] += 1
    assert st == {"a": 3, "b": 5} and st.most_common(1) == [("b", 5)] and repr(st) == "Stats({'a': 3, 'b': 5})"
