"""A fault of the link's own code said as a box fault (helper-395). link.core's session
catches every exception, so a bug of ours in the link or the codec (helper-389's
decode_all) was heard only as the link alarm and no_data. Exceptions that the radio
never raises (link.core _CODE_FAULTS; TypeError only while the connection stands) at
code_fault_windows (2) wake-ups in a row: event code_fault, which app.wiring makes the
device alarm (link_code), until a session reads. A one-off wakes nobody; a ValueError
(aioble raises it for a lost link) is the radio's as before; the TypeError the port
raises for a lost connection's handle is not counted. Run against the real link with
the virtual transmitter on simulated time, as test_link_unreached.py does."""
from test_link_unreached import prog, _run

# link.core's decoding of the live reading raises what poison[0] makes (None: decodes)
POISON = r'''
dev = vtx.start("../shared/traces/adult_001.csv", transmitter_id="8G1234", seed=1)
from link import core
real_g = core.glucose_reading
poison = [None]
def glucose_reading(*a):
    if poison[0] is not None:
        poison[0]()
    return real_g(*a)
core.glucose_reading = glucose_reading
def key_error():
    return {}["sgv"]
def type_error():
    return None + 1
def value_error():
    raise ValueError("poison decode")
def once():   # a one-off: the wake-up's retry reads
    poison[0] = None
    return {}["sgv"]
link = link_with()
def faults():
    return [[e["t_s"] // 60, e["active"], e.get("windows"), e["detail"][:20]] for e in what("code_fault")]
'''

STEPS = POISON + r'''
async def main():
    t = asyncio.create_task(link.run())
    await asyncio.sleep_ms(4 * 60000)       # the wake-up at 1 min: a reading
    out = {"first": len(readings), "each": []}
    for p in %s:                            # wake-ups at 6, 11, 16... min
        dev.tx.set_faults("miss" if p == "miss" else "")
        poison[0] = None if p == "miss" else p
        await asyncio.sleep_ms(5 * 60000)
        out["each"].append([len(readings), app.active.get("device/link_code")])
    out["faults"] = faults()
    out["no_tx"] = [e.get("heard") for e in what("no_transmitter")]
    out["reasons"] = sorted(set(e["reason"][:22] for e in what("disconnected") if not e["read"]))
    print("OUT " + json.dumps(out))
    t.cancel()
asyncio.run(main())
'''


def test_a_fault_of_ours_at_two_wake_ups_in_a_row_is_the_device_alarm_until_a_session_reads(tmp_path):
    out = _run(prog(STEPS % "[key_error] * 3 + [None]", tmp_path), timeout=120)
    assert out["first"] == 1, out
    # the wake-up at 6 min: nothing yet; at 11: the device alarm; a reading at 21 clears it
    assert out["each"] == [[1, None], [1, True], [1, True], [5, False]], out
    assert out["faults"] == [[11, True, 2, "error: KeyError('sgv"], [21, False, None, "a session read"]], out
    assert [r[:16] for r in out["reasons"]] == ["error: KeyError("], out
    # the link alarm as ever, beside it (16 min), heard
    assert out["no_tx"] == [True], out


def test_a_second_fault_after_a_reading_is_told_again(tmp_path):
    out = _run(prog(STEPS % "[key_error] * 2 + [None] + [key_error] * 2", tmp_path), timeout=120)
    assert [f[:3] for f in out["faults"]] == [[11, True, 2], [16, False, None], [26, True, 2]], out


def test_a_wake_up_failed_otherwise_ends_the_row_and_an_unseen_one_leaves_it(tmp_path):
    # a session cut, or ended by a ValueError (aioble's for a lost link): the row starts again
    out = _run(prog(STEPS % "[key_error, value_error, key_error, key_error]", tmp_path), timeout=120)
    assert [f[:3] for f in out["faults"]] == [[21, True, 2]], out
    # a wake-up without a session says nothing of our code
    out = _run(prog(STEPS % "[key_error, 'miss', key_error]", tmp_path), timeout=120)
    assert [f[:3] for f in out["faults"]] == [[16, True, 2]], out


def test_a_fault_its_retry_read_past_is_no_part_of_a_row(tmp_path):
    # the wake-up at 6 min: its first session fails, its retry reads; at 11 unseen; then
    # faults at 16 and 21: told at 21, the second in a row
    out = _run(prog(STEPS % "[once, 'miss', key_error, key_error]", tmp_path), timeout=120)
    assert [f[:3] for f in out["faults"]] == [[21, True, 2]], out


FROM_BOOT = POISON + r'''
poison[0] = key_error                       # no reading ever: from the first wake-up (1 min)
async def main():
    t = asyncio.create_task(link.run())
    await asyncio.sleep_ms(3 * 60000)
    first = faults()
    await asyncio.sleep_ms(5 * 60000)       # and the one at 6 min
    print("OUT " + json.dumps({"first": first, "then": faults(), "readings": len(readings)}))
    t.cancel()
asyncio.run(main())
'''


def test_a_box_that_never_read_counts_from_its_first_wake_up(tmp_path):
    out = _run(prog(FROM_BOOT, tmp_path), timeout=120)
    assert out["first"] == [] and [f[:3] for f in out["then"]] == [[6, True, 2]], out
    assert out["readings"] == 0, out


def test_a_one_off_wakes_nobody(tmp_path):
    # at night too: the next wake-up reads, and backfills the one lost
    out = _run(prog(STEPS % "[key_error, None, key_error, None]", tmp_path), timeout=120)
    assert out["faults"] == [] and out["no_tx"] == [], out
    assert [r for r, _ in out["each"]] == [1, 3, 3, 5], out


def test_a_type_error_while_the_connection_stands_is_ours(tmp_path):
    out = _run(prog(STEPS % "[type_error] * 2", tmp_path), timeout=120)
    assert [f[:3] for f in out["faults"]] == [[11, True, 2]], out
    assert out["faults"][0][3].startswith("error: TypeError"), out


def test_a_value_error_is_the_radios_as_before(tmp_path):
    # helper-389's decode_all: aioble raises ValueError for a lost link ("Not connected")
    out = _run(prog(STEPS % "[value_error] * 3", tmp_path), timeout=120)
    assert out["faults"] == [] and out["no_tx"] == [True], out
    assert [a for _, a in out["each"]] == [None] * 3, out


# the connection lost just before the glucose request is written: aioble writes on the
# lost connection's handle, None, which the port refuses with TypeError (not ours)
LOST = POISON + r'''
import aioble
from aioble.device import DeviceConnection
lose = [False]
real_ask = core.Link._ask
async def ask(self, ch, msg, want_op):
    if lose[0] and msg[0] == 0x30:
        conn = ch.connection
        aioble.core.ble.gap_disconnect(conn._conn_handle)
        while conn.is_connected():
            await asyncio.sleep_ms(10)
    return await real_ask(self, ch, msg, want_op)
core.Link._ask = ask
async def main():
    t = asyncio.create_task(link.run())
    await asyncio.sleep_ms(4 * 60000)       # the wake-up at 1 min: a reading
    lose[0] = True
    await asyncio.sleep_ms(15 * 60000)      # wake-ups at 6, 11, 16 min
    print("OUT " + json.dumps({"faults": faults(), "readings": len(readings),
          "reasons": sorted(set(e["reason"][:16] for e in what("disconnected") if not e["read"]))}))
    t.cancel()
asyncio.run(main())
'''


def test_the_type_error_of_a_lost_connection_is_the_radios(tmp_path):
    out = _run(prog(LOST, tmp_path), timeout=120)
    assert out["reasons"] == ["error: TypeError"], out
    assert out["faults"] == [] and out["readings"] == 1, out
