"""`make sim` with the transmitter refusing our key (vtx mode auth_refused: its hash
of our token is right, its AuthStatus says "not authenticated"; helper-259's walk of
KNOWN_GAPS' "not walked on make sim"). From 30 min into the night to 70 min: the
`link` alarm says auth_failed at the first refused wake-up (not "not heard" once its
windows go unread), no_data follows 21 min after the last reading, and both end at
the first wake-up after the fault, with the gap backfilled."""
from test_device import onsets, sim

FROM_S, TO_S = 1800, 4200
NO_DATA_S = 21 * 60


def test_a_refused_key_sounds_the_link_alarm_at_once_and_no_data_at_its_time(tmp_path):
    ev, _ = sim(tmp_path, 2, inject={"faults_at_s": [[FROM_S, "auth_refused"], [TO_S, ""]]})
    link = onsets(ev, "link")
    assert [a["reason"] for a in link] == ["auth_failed"], link
    assert FROM_S * 1000 < link[0]["t_ms"] <= (FROM_S + 300 + 30) * 1000, link
    assert not [e for e in ev if e["event"] == "alarm_update" and e["type"] == "link"
                and e["t_ms"] < TO_S * 1000], "renamed while refused"
    last = max(e["t_ms"] for e in ev if e["event"] == "reading" and e["t_ms"] < FROM_S * 1000 + 300000)
    no_data = onsets(ev, "no_data")
    assert len(no_data) == 1 and 0 <= no_data[0]["t_ms"] - last - NO_DATA_S * 1000 <= 10000, (last, no_data)
    # at most one session a wake-up (5 min) while refused
    refused = [e["t_ms"] for e in ev if e["event"] == "link" and e["what"] == "auth_failed"]
    assert len(refused) <= (TO_S - FROM_S) // 300 + 1, refused
    # the fault over: both alarms end at the next wake-up, the gap backfilled
    clears = {e["type"]: e["t_ms"] for e in ev if e["event"] == "alarm_clear"}
    assert set(clears) == {"link", "no_data"}, clears
    assert all(TO_S * 1000 < t <= (TO_S + 330) * 1000 for t in clears.values()), clears
    assert sum(1 for e in ev if e["event"] == "reading" and e["source"] == "backfill"
               and e["t_ms"] > TO_S * 1000) >= 7
    assert [e["pattern"] for e in ev if e["event"] == "annunciator"][-1] == "off"
