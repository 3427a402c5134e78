"""`make sim` through the sensor session's end (simboot inject tx_session_age_s: the
G6 session 10 days less 3 h old at 20:00; at 23:00 the transmitter says
sensor_expired; helper-259's walk of KNOWN_GAPS' "not walked on make sim"). The
`ending` notice comes once, low, in the family's day (20:01) and clears by itself;
at the end the `sensor` alarm says expired at the first wake-up, and no_data follows
21 min after the last reading."""
from test_device import onsets, sim

END_S = 3 * 3600


def test_the_sessions_end_is_told_in_the_evening_and_sounds_when_it_comes(tmp_path):
    ev, _ = sim(tmp_path, 3.5, START=20 * 60,
                inject={"tx_session_age_s": 10 * 86400 - END_S, "faults_at_s": [[END_S, "sensor_expired"]]})
    sensor = onsets(ev, "sensor")
    assert [(a["reason"], a["priority"]) for a in sensor] == [("ending", "low"), ("expired", "medium")], sensor
    assert sensor[0]["t_ms"] <= 120000, sensor          # at the first session, 20:01
    cleared = [e for e in ev if e["event"] == "alarm_clear" and e["type"] == "sensor"]
    assert cleared and cleared[0]["reason"] == "ending" and cleared[0]["t_ms"] <= 32 * 60000, cleared
    assert not [a for a in onsets(ev) if sensor[0]["t_ms"] < a["t_ms"] < END_S * 1000], "quiet until the end"
    assert END_S * 1000 < sensor[1]["t_ms"] <= (END_S + 330) * 1000, sensor
    glucose = [e for e in ev if e["event"] == "reading" and e["sgv"] is not None]
    last = glucose[-1]["t_ms"]
    assert last < sensor[1]["t_ms"]                     # no glucose after the end
    no_data = onsets(ev, "no_data")
    assert len(no_data) == 1 and 0 <= no_data[0]["t_ms"] - last - 21 * 60000 <= 10000, (last, no_data)
