"""`make sim` with the board's flash refusing every write (simboot inject
flash_refuses_at_s: a worn-out flash, EIO; helper-259's walk of KNOWN_GAPS' "not
walked on make sim"). A box set up (its AP key on flash) uploading to a Nightscout
that does not answer, so its queue is saved every minute or so: from 30 min to 2 h
every save fails. The `device` alarm says "flash" within minutes, the failed saves
are retried at the uploader's pace (not in a hot loop), the night's glucose alarm
still sounds when it would have, and the fault over, the alarm ends."""
from conftest import free_port
from test_device import onsets, sim

FROM_S, TO_S = 1800, 7200
LOW_SOON_S = 9662   # the default night's urgent_low_soon (the flash has no say in it)


def test_a_flash_refusing_writes_sounds_the_device_alarm_and_nothing_else_stops(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "setup_key.bin").write_bytes(b"label-key-16byte")
    ev, _ = sim(tmp_path, 2.75, inject={"flash_refuses_at_s": [[FROM_S, TO_S]]},
                NIGHTSCOUT_URL="http://127.0.0.1:%d" % free_port(), NIGHTSCOUT_SECRET="secret-secret-1234")
    refused = [e for e in ev if e["event"] == "flash_refused"]
    assert refused and all(FROM_S * 1000 <= e["t_ms"] < TO_S * 1000 for e in refused), refused[:3]
    # one save tried about once a minute: an open and the temp file's removal each
    minutes = (TO_S - FROM_S) // 60
    assert len([e for e in refused if e["op"] == "open"]) <= 2 * minutes, len(refused)
    dev = onsets(ev, "device")
    assert [a["reason"] for a in dev] == ["flash"], dev
    assert FROM_S * 1000 < dev[0]["t_ms"] <= (FROM_S + 600) * 1000, dev
    clear = [e for e in ev if e["event"] == "alarm_clear" and e["type"] == "device"]
    assert len(clear) == 1 and TO_S * 1000 < clear[0]["t_ms"] <= (TO_S + 600) * 1000, clear
    low = onsets(ev, "urgent_low_soon")
    assert low and abs(low[0]["t_ms"] - LOW_SOON_S * 1000) <= 5000, low
    assert [e for e in ev if e["event"] == "reading"][-1]["t_ms"] > LOW_SOON_S * 1000
    assert not [e for e in ev if e["event"] == "reset"]
