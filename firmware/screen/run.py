# The display task. It redraws only when what the screen says changes (a
# reading, an alarm, the age's minute) and checks every PERIOD_MS. A panel that
# fails (unplugged, a bad wire: OSError) raises the device alarm "display", a
# person's only sign that the number they look at may be frozen; it is opened
# again every RETRY_S and the alarm clears once a drawing reaches it. The alarms
# never wait on it: it is a task of its own, and a bug in it is the supervisor's.
import asyncio

from screen import draw, view

PERIOD_MS = 1000
RETRY_S = 30
SHIFT_S = 600   # the layout moves by a pixel every 10 minutes (OLED burn-in)
CHECK_S = 60    # a picture that has not changed this long is sent again: a panel that
                # stopped answering (I2C) is found within a minute, not at the next change


async def run(open_panel, state, on_fault, log=print, units="mg/dl"):
    """open_panel() -> a canvas (draw.py) with show(bright) and the flags buffered
    (drawn in memory, sent at show) and burn_in (an OLED, which also has init():
    its set-up sent again); state() -> (newest
    reading, its age in s, AlarmEngine.shown(), stale bound in s, now in s[, a note for
    the detail line while no alarm is shown: view.compose]);
    on_fault(active) when the panel starts or stops failing."""
    panel = last = None
    shown_s = 0
    # None: not known. A task restarted by the supervisor (it failed otherwise,
    # e.g. MemoryError opening the driver) clears at its first drawing a display
    # alarm the one before raised: else it would sound on over a working panel
    failing = None
    while True:
        try:
            if panel is None:
                panel, last = open_panel(), None
            st = state()
            r, age_s, alarm, stale_s, now_s = st[:5]
            v = view.compose(r, age_s, alarm, stale_s, units, st[5] if len(st) > 5 else "")
            key = (v, (now_s // SHIFT_S) % 2 if panel.burn_in else 0)
            if key != last:
                if last is not None and key[1] != last[1]:
                    # an OLED's layout moved (every SHIFT_S): set it up again
                    # first, in case it lost its power and came back dark
                    panel.init()
                # a frame buffer is cleared and drawn whole; a panel drawn as it
                # goes is cleared once, then drawn over (no black flash), unless
                # the layout moved
                whole = panel.buffered or last is None or last[1] != key[1]
                for _ in draw.steps(panel, v, key[1], whole):
                    await asyncio.sleep_ms(0)   # the buzzer's turn between the parts
                panel.show(v[7])
                last, shown_s = key, now_s
            elif now_s - shown_s >= CHECK_S:
                panel.show(v[7])
                shown_s = now_s
            if failing is not False:
                failing = False
                on_fault(False)
        except OSError as e:
            panel = None
            if failing is not True:
                failing = True
                log("display: %r" % (e,))
                on_fault(True)
            await asyncio.sleep(RETRY_S)
            continue
        await asyncio.sleep_ms(PERIOD_MS)
