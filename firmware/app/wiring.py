# Wires the optional parts to the app, as the configuration asks: buttons,
# the BLE link (leader) or the follower source, Wi-Fi, Nightscout, MQTT and
# the LAN API. Each part runs as a supervised task; a part that cannot even
# start (bad config, missing module, no memory) raises the `device` alarm
# with its name and the box keeps alarming on what it has.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import gc

import clock
from app import log

LINK_SILENT_MS = 20 * 60 * 1000  # a link that makes no progress this long is hung
_RETRY_FIRST_S = const(300)   # a part whose start ran out of memory: first retry, doubling up to
_RETRY_MAX_S = const(3600)    # ... this


def add_all(app):
    for name, fn in (("buttons", _buttons), ("power", _power), ("display", _display), ("source", _source),
                     ("forwarding", _forwarding), ("setup", _setup)):
        _start(app, name, fn)
    app.reserve = None   # not used by forwarding (off, or failed): the heap's again


def _release_reserve(app):
    """Free the block App reserved at boot and collect, so the large buffers
    made next find it in one piece."""
    if getattr(app, "reserve", None) is not None:
        app.reserve = None
        gc.collect()


_ESSENTIAL = const(("buttons", "power", "source"))  # parts retried even under memory pressure
# what a part's start-up may have registered before it failed half way
_PARTS = const(("link", "wifi", "buttons", "lan_api", "setup_ap", "timesync"))


def _start(app, name, fn):
    """Start a part; one that fails raises the `device` alarm start_<name>. One
    that ran out of memory is undone (its listeners, tasks and attributes) and
    left in app.pending_starts for retry_starts()."""
    undo = (len(app.listeners), len(app.before_reset), len(app.sup.tasks),
            [getattr(app, a, None) for a in _PARTS])
    try:
        fn(app)
        return True
    except MemoryError as e:
        del app.listeners[undo[0]:], app.before_reset[undo[1]:], app.sup.tasks[undo[2]:]
        for a, v in zip(_PARTS, undo[3]):
            setattr(app, a, v)
        gc.collect()  # what it made is garbage now: free it before anything else allocates
        first = name not in [p[0] for p in app.pending_starts]
        if first:
            app.pending_starts.append([name, fn, clock.ms() + _RETRY_FIRST_S * 1000, _RETRY_FIRST_S])
            log.exc(e, "cannot start %s (tried again while the heap allows)", name)
    except Exception as e:
        first = True
        log.exc(e, "cannot start %s", name)
        # left as a failure at boot leaves it, not tried again: a retry would
        # add what it got as far as (the Wi-Fi keeper...) a second time
        app.pending_starts[:] = [p for p in app.pending_starts if p[0] != name]
    if first:
        app.condition("device", "start_" + name, True)
    return False


def retry_starts(app, under_pressure=False):
    """Start again, when due, the parts that ran out of memory (from the health
    check); quiet while they still fail, and less often each time (each try
    churns the heap the link needs). Under memory pressure only the alarm
    path's own parts: the forwarders are shed precisely to keep the link."""
    now = clock.ms()
    for p in list(app.pending_starts):
        if now - p[2] < 0 or (under_pressure and p[0] not in _ESSENTIAL):
            continue
        if _start(app, p[0], p[1]):
            app.pending_starts.remove(p)
            log.info("started %s", p[0])
            app.condition("device", "start_" + p[0], False)
        else:
            p[3] = min(2 * p[3], _RETRY_MAX_S)
            p[2] = now + p[3] * 1000


_said = {}   # a forwarder's part ("time", "wifi", "nightscout"...) -> its last message


def _log(msg):
    """The forwarders' log: into the box's log ring (the console, /log), not only
    print(). A message its part repeats (NTP failing every 5 min all night) is
    written once: the ring holds 48 lines, and would lose the alarms' lines."""
    part = msg.split(":", 1)[0]
    if _said.get(part) == msg:
        return
    _said[part] = msg
    log.info("%s", msg)


def supervise(app, name, make_coro, period_s, alive=None):
    """Run make_coro() as a child task; check in while it lives (and, when
    given, while alive() says it makes progress)."""
    async def task(checkin):
        child = asyncio.create_task(make_coro())
        try:
            while not child.done():
                if alive is None or alive():
                    checkin()
                await asyncio.sleep(5)
            await child  # re-raises its exception for the supervisor
        finally:
            child.cancel()
    app.add_task(name, task, period_s)


# --- buttons ------------------------------------------------------------------
def _boot_feedback(app):
    """The boot hold's cues. Over a glucose alarm or no_data (restored through the
    reset) they are refused, so the hold acknowledges it and wipes nothing: a parent
    is answering it (sound.buttons); so too when a technical alarm sounds louder.
    Refused by what the engine sounds, not by what the annunciator plays yet: the
    hold's answer must not wait on the chirp or the alarm task's first turn. A
    follower's alarm its leader sounds is played silently here (app.quiet) and
    refuses nothing; its link alarm for the patient's alarm unanswered at the
    leader stands for a glucose alarm and refuses them. Over a technical alarm of
    the boot alone (a settings problem, no transmitter set) they play over it: such
    a box must stay resettable with the button."""
    from alarms.kinds import GLUCOSE

    def feedback(name):
        # any such alarm sounding, not only the loudest: a high beside a louder
        # technical alarm (a transmitter lost 15 min) is an alarm a parent answers too.
        # The link alarm by any of its reasons: one for leader_unanswered that the
        # leader's silence since names leader_silent still stands for the patient's alarm
        quiet = app.quiet()
        for a in app.engine.active():
            kind = a["type"]
            if a["status"] == "sounding" and kind not in quiet and (
                    kind in GLUCOSE or kind == "no_data" or
                    kind == "link" and app.engine.has_reason(kind, "leader_unanswered")):
                return False
        return app.ann.cue(name, True)
    return feedback


def _buttons(app):
    if not app.board.get("button"):
        return
    from sound.buttons import Buttons
    btn = Buttons(app.board["button"], on_snooze=app.snooze, on_ack=app.acknowledge,
                  on_unack=app.unacknowledge,
                  on_test=app.ann.test, feedback=_boot_feedback(app), on_fault=_fault(app, "button"),
                  on_setup=lambda: _open_setup(app, "button"),
                  on_factory_reset=lambda: _factory_reset(app))
    app.buttons = btn
    boot = {"checked": False}

    async def buttons():
        # the factory-reset hold is looked for once, in this task: the alarm and
        # annunciator tasks are already running, so a button stuck at power-on
        # delays nothing but the gestures; a restarted task goes straight to run()
        if not boot["checked"]:
            boot["checked"] = True
            await btn.boot_hold()
        await btn.run()
    supervise(app, "buttons", buttons, 30)


# A factory reset forgets the configuration (the box comes back with defaults:
# not configured, its setup access point open), the transmitter bond, the
# unsent Nightscout readings and what RTC memory keeps across a reset (alarm
# state, snoozes, the transmitter's clock) or on flash about the transmitter
# (its activation time, app/txclock.py) or which sensor start Nightscout has;
# it keeps setup_key.bin, whose access point password is printed on the device label.
_BOND_FILE = const("ble_secrets.json")
NS_QUEUE_FILE = "nsqueue.bin"
_NS_START_FILE = const("nsstart.txt")
_TX_CLOCK_FILE = const("tx_clock.txt")


def _factory_files(app):
    from app import fsutil
    cfg = app.config_path
    held = NS_QUEUE_FILE + ".held"   # (forward.nightscout: readings held for want of a wall time)
    return (cfg, cfg + fsutil.BAK, cfg + fsutil.TMP, _BOND_FILE, NS_QUEUE_FILE,
            NS_QUEUE_FILE + fsutil.TMP, NS_QUEUE_FILE + fsutil.BAK,
            held, held + fsutil.TMP, held + fsutil.BAK,
            _NS_START_FILE, _NS_START_FILE + fsutil.TMP, _NS_START_FILE + fsutil.BAK,
            _TX_CLOCK_FILE, _TX_CLOCK_FILE + fsutil.TMP, _TX_CLOCK_FILE + fsutil.BAK)


def _wipe(paths):
    """Remove every file; the list of those still there (a failed removal)."""
    from app import fsutil
    for p in paths:
        fsutil.remove_if_present(p)
    return [p for p in paths if fsutil.exists(p)]


def _factory_reset(app):
    """The boot hold was confirmed by its release: wipe, then restart."""
    log.warn("factory reset: forgetting the configuration, the transmitter bond and the upload queue")
    left = _wipe(_factory_files(app))
    if left:  # say so and keep running on what is there, rather than restart unchanged
        log.error("factory reset: cannot remove %s", ", ".join(left))
        app.condition("device", "factory_reset", True)
        return

    def wipe_again():  # last hook: the uploader's hook writes its queue to flash
        left = _wipe(_factory_files(app))
        if left:
            log.error("factory reset: cannot remove %s", ", ".join(left))
        app.rtc.forget_all()  # after the last save: nothing runs between this and the reset
    app.before_reset.append(wipe_again)
    _restart_soon(app, "factory reset: restarting with the defaults")


def _power(app):
    """A board with its own battery: the device alarm (reason power) before it runs out."""
    if (app.board.get("power") or {}).get("battery_adc_pin") is None:
        return
    from app import power

    def changed(low, mv):
        log.warn("battery %d mV: %s", mv, "running out" if low else "recovered")
        app.condition("device", "power", low)
    supervise(app, "power", lambda: power.watch(app.board, changed,
                                                low=app.engine.has_reason("device", "power")), 120)


def _display(app):
    """A board with a display: the newest reading and the alarm in words."""
    cfg = app.board.get("display")
    if not cfg:
        return
    from screen import run
    if cfg["kind"] == "st7789":
        from screen import st7789 as panel
    else:
        from screen import oled as panel

    def state():
        now = app.now_s()
        r, t = app.status["last_reading"], app.status["last_reading_t"]
        if r is None:
            # after a reset, until the next reading: the value the engine kept through
            # it (RTC memory), no trend. Before, "---" stood under the urgent low that
            # sounded again for it, 5 min and more
            sgv, t = app.engine.last_glucose()
            if sgv is not None and t is not None:
                r = (None, None, sgv, None, None, "restored")
        return (r, None if r is None else max(0, now - t), app.shown(),
                app.engine.current_settings()["stale_minutes"] * 60, now,
                "" if app.time_disputed_s() is None else "time disputed")

    def fault(active):
        app.condition("device", "display", active)
    supervise(app, "display", lambda: run.run(lambda: panel.open_panel(cfg), state, fault,
                                              lambda m: log.warn("%s", m),
                                              app.cfg.get("units") or "mg/dl"), 60)


def _fault(app, what):
    def report(ev):
        app.emit(ev)
        app.condition("device", ev.get("what") or what, ev.get("active", True))
    return report


# --- where readings come from -------------------------------------------------
# link alarm reasons each source judges; the alarm state survives a reset (RTC
# memory), so a reason of a part that no longer runs is cleared at boot
_BLE_REASONS = const(("no_transmitter", "auth_failed", "rogue", "bond_lost", "slot_conflict"))
_FOLLOW_REASONS = const(("leader_silent", "leader_auth", "leader_unanswered"))
_BATTERY_REASONS = const(("tx_expired", "battery_low"))   # the transmitter's end, its battery's warning


def _clear_reasons(app, names):
    for name in names:
        app.condition("link", name, False)


def _source(app):
    cfg = app.cfg
    follower = cfg.get("role") == "follower"
    ble = _leads(cfg)
    # a transmitter ID typed in after not_configured sounded; a box made a
    # follower (or left without an ID) runs no BLE link to clear its reasons
    _clear_reasons(app, (() if ble else _BLE_REASONS) + (() if follower else _FOLLOW_REASONS)
                   + (("not_configured",) if follower or ble else ()))
    if not ble:   # nor the transmitter's own news: its sensor's state and its battery
        from alarms.kinds import NO_GLUCOSE
        for name in NO_GLUCOSE + ("attention", "warmup_done", "ending"):
            app.condition("sensor", name, False)
        for name in _BATTERY_REASONS:
            app.condition("transmitter_battery", name, False)
    if follower:
        from forward.follower import Follower
        last_t = app.engine.last_glucose()[1]   # (restored from RTC memory after a reset)
        gated = cfg["follow"].get("sound") == "unanswered"
        f = Follower(cfg["follow"], app.on_reading, lambda kind, name, active:
                     app.condition(kind, name, active),
                     on_server_date=lambda d: app.timesync and app.timesync.offer_date(d), log=_log,
                     pause=lambda: _blocking_step(app, f.host, f.port),
                     on_alarms=app.leader_alarms if gated else None,
                     # (an alarm played silently on the leader's word: a poll without it
                     # is asked again soon, forward.follower.RETRY_S)
                     holding=(lambda: bool(app.quiet())) if gated else None,
                     since_fresh_s=None if last_t is None else app.now_s() - last_t)
        app.follower = f
        if f.on_alarms is not None:   # sound only what the leader box leaves unanswered
            from alarms import gate
            app.gate, app.gate_poll_s = gate, f.poll_s
        else:   # (gated, the leader's first report judges one restored from RTC memory)
            app.condition("link", "leader_unanswered", False)
        # a reading reaches a follower box up to a poll (and a request, and the
        # leader's alarms' with follow.sound "unanswered") after the leader has it: the
        # reading due at the no_data mark gets that much longer
        from alarms.engine import NO_DATA_GRACE_S
        from forward.follower import TIMEOUT_S, ALARMS_TIMEOUT_S
        app.engine.no_data_grace_s = NO_DATA_GRACE_S + f.poll_s + TIMEOUT_S + (
            ALARMS_TIMEOUT_S if f.on_alarms is not None else 0)
        supervise(app, "follower", f.run, 600)
        return
    if not cfg.get("transmitter_id"):
        log.warn("no transmitter_id configured")
        app.condition("link", "not_configured", True)
        return
    from link.core import Link
    slot = 1 if cfg.get("slot", "receiver") == "receiver" else 2
    try:   # a help for the time of day: nothing of it (its import too) may keep the link from starting
        from app.txclock import TransmitterClock
        app.tx_clock = TransmitterClock(cfg["transmitter_id"], _TX_CLOCK_FILE, lambda t: _tx_set(app, t),
                                        lambda: app.timesync is not None and app.timesync.lone_answer())
        on_time = app.tx_clock.seen
    except Exception as e:
        log.exc(e, "time: the transmitter's clock will not set the box's")
        on_time = None
    try:   # the RTC record's resume point is this transmitter's only (config.load normalised the ID)
        if app.rtc.tx_id not in (None, cfg["transmitter_id"]):
            app.status["tx_battery_told"] = False   # (a battery warning restored is the old one's)
        dropped = app.rtc.own(cfg["transmitter_id"])
        if dropped:
            log.warn("nightscout: %d readings without a wall time of the last transmitter "
                     "dropped: another transmitter's clock cannot date them", dropped)
            if app.nightscout is not None:   # a late start (out of memory at boot): the uploader
                app.nightscout.forget_held()  # took them back from the record, and tells the loss
    except Exception as e:
        log.exc(e, "link: the RTC record's transmitter")
    link = Link({"transmitter_id": cfg["transmitter_id"], "slot": slot,
                 "bond_path": _BOND_FILE, "resume_dex_s": app.rtc.last_dex or None,
                 "resume_hole": app.rtc.hole, "resume_dex_min_s": _resume_dex_min(app.rtc),
                 "radio_shared": lambda: _radio_shared(app),
                 "on_time": on_time},
                app.on_reading, lambda ev: on_link_event(app, ev))
    app.link = link
    last = {"ms": clock.ms(), "n": -1}

    def progressing():
        st = link.status()
        n = st.get("sessions", 0) + st.get("missed_windows", 0)
        if n != last["n"]:
            last["n"], last["ms"] = n, clock.ms()
        return clock.ms() - last["ms"] < LINK_SILENT_MS

    supervise(app, "link", lambda: _after_selftest(app, link.run), 60, progressing)


SELFTEST_WAIT_MS = 3000   # at most: the chirp and light sequence takes 1 s
RADIO_START_MS = 500      # Bluetooth's start holds the board about this long (Wi-Fi's less)


def _tx_set(app, unix_s):
    """The wall clock from the transmitter's (app.txclock): NTP's and a server's later
    answers are held against it as against any set clock."""
    clock.set_unix(unix_s)
    if app.timesync is not None:
        app.timesync.transmitter_set()


async def _after_selftest(app, run):
    """run() once the boot's self-test has played: starting a radio holds the board
    (Bluetooth about 0.5 s, Wi-Fi 0.3 s), and inside the chirp it ran the two beeps into
    one and skipped colours of the light sequence, which is there to show a dead
    buzzer or LED channel."""
    waited = 0
    while app.ann.busy() and waited < SELFTEST_WAIT_MS:
        await asyncio.sleep_ms(50)
        waited += 50
    # an alarm restored through a reset sounds right after the self-test: in a pause of
    # it, not inside its first burst's pulses; at most about one period
    await asyncio.sleep_ms(app.ann.pause_in_ms(RADIO_START_MS))
    await run()


async def _blocking_step(app, host, port):
    # the follower's request may hold the loop (TLS, a name lookup): in a pause of the alarm's sound
    if app.wifi is not None:
        from forward.wifi import BLOCK_MS
        await app.wifi.wait_quiet(BLOCK_MS, blocks=True, host=host, port=port)


def _radio_shared(app):
    """Wi-Fi (forwarding, or the setup access point) shares the 2.4 GHz radio:
    the link then scans blind at a duty Wi-Fi survives."""
    ap = app.setup_ap
    return app.wifi is not None or (ap is not None and ap.is_open())


# link events that raise the link condition of their name (a tuple: a dict was 0.1 KB of heap)
_LINK_CONDITIONS = const(("no_transmitter", "auth_failed", "rogue",
                          # another device keeps taking our slot: lasts until our bond holds a session
                          "slot_conflict"))
_LINK_GOOD = const(("authenticated", "bonded", "encrypted"))
# A lost bond that the same session bonds again is no news (an alarm raised and
# cleared within a second, at every window of a slot conflict, is a beep every
# 5 minutes): bond_lost sounds when _BOND_FAILS sessions in a row authenticated
# but ended without a bond or encryption (a lost bond that does not come back,
# or a fresh box that never bonds: no bond_lost event then), and clears once a
# bond works (bonded, encrypted).
_BOND_FAILS = const(2)


def _resume_dex_min(rtc):
    """The least time the resumed transmitter's clock can show at this boot: its newest
    reading's, and the time away since the save after it (None: not known). A clock
    behind it by more than the link's margin restarted during the reset."""
    if not rtc.last_dex or rtc.away_s is None:
        return None
    return rtc.last_dex + rtc.away_s


_ROUTINE = const(("connected", "authenticated", "disconnected", "encrypted"))
# a session's end said once in this long (half the transmitter's period, link.core PERIOD_MS):
# a wake-up's retries that end alike ("bad message" at each) are one line, not one a try
_SAID_AGAIN_MS = const(150000)
# link events that tell of the transmitter or sensor, not of the link's state: the status
# page's and MQTT's `link` keep the last state (a page said "link: battery_low")
_NOT_LINK_STATE = const(("battery_low", "sensor_state", "tx_clock", "code_fault"))


def _session_told(app, what, ev):
    """True for a session that ended as one did within _SAID_AGAIN_MS (a retry of its
    wake-up): the log ring (48 lines) held a codec refusal twice a wake-up."""
    if what != "disconnected":
        return False
    now, last = clock.ms(), app.status.get("link_said")
    if last is not None and last[0] == ev.get("reason") and now - last[1] < _SAID_AGAIN_MS:
        return True
    app.status["link_said"] = (ev.get("reason"), now)
    return False


def on_link_event(app, ev):
    app.emit(ev)
    what = ev.get("what")
    if what in ("disconnected", "error") and "MemoryError" in str(ev.get("reason") or ev.get("detail")):
        app.out_of_memory("link")  # the link retries at the next window; the app counts it
    if (what not in _ROUTINE or ev.get("reason", "done") != "done") and not _session_told(app, what, ev):
        log.info("link %s %s", what, ev.get("detail") or ev.get("reason") or ev.get("name")
                 or ("heard, unread" if ev.get("heard") else ""))   # (no_transmitter: link.core)
    if what not in _NOT_LINK_STATE:
        app.status["link"] = what
    if what in _LINK_CONDITIONS:
        app.condition("link", what, True)
    elif what == "disconnected":
        if ev.get("read"):   # the window's reading: the transmitter is back (link.core)
            app.condition("link", "no_transmitter", False)
        if app.status.pop("unsecured", False):   # authenticated, never bonded/encrypted
            fails = app.status["bond_fails"] = app.status.get("bond_fails", 0) + 1
            if fails >= _BOND_FAILS:
                app.condition("link", "bond_lost", True)
        _tell_wifi_next_window(app)
    elif what in _LINK_GOOD:
        for name in ("auth_failed", "rogue"):
            app.condition("link", name, False)
        if what == "authenticated":
            app.status["unsecured"] = True
        else:
            app.status.pop("unsecured", None)
            app.status.pop("bond_fails", None)
            app.condition("link", "bond_lost", False)
            if what == "encrypted":
                app.condition("link", "slot_conflict", False)
    elif what == "battery_low":
        # a transmitter past its end (status expired or worse) said "battery low" on the
        # screen, as if it had days left: its own reason (the new one first, as a new problem)
        active = ev.get("active", True)
        told = app.status.get("tx_battery_told")
        if told is None:
            # the first word since a boot: a warning restored from RTC memory, answered, is
            # this transmitter's (another one's is forgotten at tx_clock or a new ID, below
            # and in _source). Cleared by a recovery, the next sag sounded it afresh in the
            # night the family had answered it (a short press holds it to the morning)
            told = [a for a in app.engine.active()
                    if a["type"] == "transmitter_battery" and a["status"] != "sounding"] != []
        if active or told:
            app.status["tx_battery_told"] = True
        if told and not active:
            # a cell near its end recovers a little as the load drops and sags again
            # (0x81, 0x00, 0x81...): nothing got better, and each return re-sounded the
            # warning the family had answered. It holds until another
            # transmitter (tx_clock, or a restart onto a new ID)
            return
        end = 0 if ev.get("name") in ("expired", "bricked") else 1
        app.condition("transmitter_battery", _BATTERY_REASONS[end], active)
        app.condition("transmitter_battery", _BATTERY_REASONS[1 - end], False)
    elif what == "code_fault":   # the link's own code fails its sessions (link.core _CODE_FAULTS)
        app.condition("device", "link_code", ev.get("active", True))
    elif what == "tx_clock":   # another transmitter: the resume point was the old one's
        app.status["last_reading"] = None
        app.status["tx_battery_told"] = False   # (the warning up is the old one's)
        if app.nightscout is not None:   # its held readings: no wall time of the new clock dates them
            app.nightscout.forget_held()
        app.rtc.forget_transmitter()
    elif what == "sensor_state":
        from alarms.kinds import NO_GLUCOSE
        kind = ev.get("kind")
        was = app.status.get("sensor_kind")
        reason = kind if kind in NO_GLUCOSE else None
        if kind == "noise" and app.engine.has_reason("sensor", "error"):
            # told (main.App._watch_sensor_error): it stands while the state does, also when
            # restored after a reset (the engine's word, not RAM: cleared by the link's first
            # word, the press's 2-h hold on no_data was cut to SENSOR_END_S)
            reason = "error"
        # the new reason first: an old one cleared first left the sensor alarm without a
        # reason for a moment, which ended no_data's hold (alarms.engine: SENSOR_HOLD_S)
        if reason is not None:
            app.condition("sensor", reason, True)
            if reason != "error":
                app.condition("sensor", "ending", False)   # the session ended: its notice is news no more
        for name in NO_GLUCOSE:
            if name != reason:
                app.condition("sensor", name, False)
        # no glucose until a person acts (calibrate on the phone or receiver), or
        # a state code nobody documents: say so now, not only through no_data
        app.condition("sensor", "attention", kind in ("calibration", "unknown") and not ev.get("usable"))
        if was == "warmup" and ev.get("usable") and app.in_family_day():
            # a notice: low, clears by itself; not at night (a bedtime sensor change's
            # warm-up ends at 1 a.m.: the glucose on the screen says it)
            app.condition("sensor", "warmup_done", True)
        # recorded once every condition is told: a state told again after one ran out of
        # memory (link.core) finds the old one, its transition (warmup_done) not lost
        app.status["sensor_kind"] = kind


def _tell_wifi_next_window(app):
    """Keep Wi-Fi traffic out of the transmitter's next wake-up window."""
    if app.wifi is None or app.link is None:
        return
    nxt = app.link.next_window_ms()
    if nxt is not None:
        app.wifi.transmitter_window(max(0, nxt - clock.ms()) // 1000, 30)


# --- forwarding -----------------------------------------------------------------
def _forwarding(app):
    cfg = app.cfg
    ns, mq, lan = cfg.get("nightscout") or {}, cfg.get("mqtt") or {}, cfg.get("lan_api") or {}
    if not cfg.get("wifi"):
        return
    from forward.wifi import WifiKeeper
    from forward.queue import UploadQueue
    from app import config as appconfig
    _release_reserve(app)
    # the large buffers first, into the block just freed; the history only for the
    # LAN API, its one reader (3.7 KB held for nothing with Nightscout alone), and
    # read from the upload queue when Nightscout runs too: the queue keeps what it
    # sent, so the same readings are not held twice (3.7 KB)
    hist = feed = None
    queue = UploadQueue(keep_sent=bool(lan.get("enabled"))) if ns.get("url") else None
    if lan.get("enabled"):
        from forward import history
        if queue is not None:
            hist = history.QueueHistory(queue, 288)   # fed by the uploader's submit()
        else:
            hist = feed = history.History(288)

    def cond(kind, name, active):
        app.condition(kind, name, active)

    keeper = WifiKeeper(cfg["wifi"], ble_active=lambda: app.link is not None,
                        on_change=lambda up: app.emit({"event": "wifi", "up": up}), log=_log,
                        sound_pause=_step_pause(app), sound_fits=app.ann.pause_fits,
                        hostname=appconfig.hostname(cfg),
                        ap_open=lambda: app.setup_ap is not None and app.setup_ap.is_open())
    supervise(app, "wifi", lambda: _after_selftest(app, keeper.run), 120)
    app.wifi = keeper
    from forward import names   # the servers' addresses survive a reset (app.persist)
    names.restore(app.rtc.names)
    app.rtc.names_of = names.kept
    from forward.timesync import TimeSync
    # NTP; the Nightscout/leader Date header as fallback; a step of more than a day refused
    # while the transmitter vouches for the clock; big steps told (the `device` notices) in
    # the family's day, at night owed to the morning (main.App.time_notice): news, no danger
    ts = TimeSync(None, wifi=keeper, log=_log,
                  vouched=lambda: app.tx_clock is not None and app.tx_clock.vouches(),
                  notice=app.time_notice)
    app.timesync = ts
    supervise(app, "time", ts.run, 3600)
    if ns.get("url") and not _each(app, "nightscout", lambda: _nightscout(app, ns, keeper, queue, ts, cond)):
        if hist is not None:
            # the queue's history is fed by the uploader alone: without it the LAN API
            # (xDrip+, Nightguard, a follower box) would serve no reading all night
            queue = None
            hist = feed = history.History(288)
    if feed is not None:
        app.listeners.append(lambda ev: ev.get("event") == "reading"
                             and feed.add(_as_reading(ev), clock.back_s()))
    if mq.get("host"):
        _each(app, "mqtt", lambda: _mqtt(app, mq, keeper, cond))
    if lan.get("enabled"):
        _each(app, "lan_api", lambda: _lan_api(app, lan, hist))


def _each(app, name, start):
    """One forwarder of the forwarding part: one its configuration refuses (a
    ConfigError from its constructor) costs that one only, not the others after
    it, and sounds the device alarm as a part that cannot start does. Out of
    memory, the whole part is undone and tried again (_start). True if it started."""
    try:
        start()
        return True
    except MemoryError:
        raise
    except Exception as e:
        log.exc(e, "cannot start %s", name)
        app.condition("device", "start_" + name, True)
        return False


def _nightscout(app, ns, keeper, queue, ts, cond):
    from forward.nightscout import NightscoutUploader
    up = NightscoutUploader({"url": ns["url"], "secret": ns.get("api_secret") or None,
                             "token": ns.get("token") or None,
                             "lan": bool(ns.get("allow_http")),
                             "ca_file": ns.get("ca_file") or None}, on_condition=cond,
                            wifi=keeper, queue=queue, store_path=NS_QUEUE_FILE,
                            on_server_date=ts.offer_date, log=_log,
                            on_memory=lambda: app.out_of_memory("nightscout"),
                            session=(lambda: _session(app)) if _leads(app.cfg) else None,
                            start_path=_NS_START_FILE, held=app.rtc.held,
                            held_lost=app.rtc.held_lost)
    app.rtc.held_of = up.held_image   # readings held for want of a clock: beside the link's resume point
    app.nightscout = up
    app.listeners.append(lambda ev: ev.get("event") == "reading" and up.submit(_as_reading(ev)))
    app.before_reset.append(up.flush_to_flash)  # unsent readings survive a settings restart
    supervise(app, "nightscout", up.run, 600)


def _leads(cfg):
    """The box reads a transmitter itself (a BLE link, not a follower)."""
    return cfg.get("role") != "follower" and bool(cfg.get("transmitter_id"))


def _session(app):
    """The link's sensor session, for the Nightscout uploader's `Sensor Start`
    (forward.sensorstart): (transmitter ID, its start on the transmitter's clock,
    its Unix time or None without a wall clock, seconds left), or None."""
    link = app.link
    start = None if link is None else link.session_start_dex
    if start is None:
        return None
    from dexcom.glucose import dex_to_unix
    act = link.activation_unix
    return link.tx_id, start, None if act is None else dex_to_unix(start, act), link.session_left_s


def _mqtt(app, mq, keeper, cond):
    from forward.mqtt import MqttPublisher
    pub = MqttPublisher({"host": mq["host"], "port": mq.get("port", 1883),
                         "user": mq.get("user") or None, "password": mq.get("password") or None,
                         "topic_prefix": mq.get("topic", "cgm")}, wifi=keeper, on_condition=cond,
                        log=_log, on_memory=lambda: app.out_of_memory("mqtt"))
    app.mqtt = pub
    app.listeners.append(lambda ev: _mqtt_event(pub, app, ev))
    _mqtt_alarm(pub, app)   # raised before now (restored, at boot) or none: told at the connect
    if app.status.get("sensor_kind"):   # told before the publisher was made
        pub.publish_sensor(app.status["sensor_kind"])
    pub.publish_link(_link_now(app))   # else the last boot's state stays retained until an event
    supervise(app, "mqtt", pub.run, 600)


def _lan_api(app, lan, hist):
    from forward.lanapi import LanApi
    api = LanApi({"port": lan.get("port", 17580), "secret": lan.get("api_secret") or None},
                 hist, log=_log, thresholds=lambda: _status_thresholds(app.engine),
                 alarms=app.alarm_report)
    app.lan_api = api
    # the log ring, for whoever looks after the box (secrets are masked in it)
    api.app.route("/log")(lambda req: (log.pieces(), 200, {"Content-Type": "text/plain; charset=UTF-8"}))
    api.app.on_memory = lambda: app.out_of_memory("web")   # a request that ran out (app.webserver)
    supervise(app, "web", lambda: api.run(app.http_host), 600)


PRESS_POLL_MS = 100


def _step_pause(app):
    """The forwarders' wait before a step that holds the board (a TLS handshake, a name
    lookup, a flash save): a pause in the sound, and no press under way. A 2-s handshake
    begun 1.3 s into a long press held its answer to 3.3 s, not 1.5 (chaos seed 5518). The
    keeper caps the wait (forward.wifi SOUND_WAIT_MAX_MS): a stuck button holds no step long."""
    def pause(need_ms):
        b = app.buttons
        if b is not None and b.pressed:
            return PRESS_POLL_MS
        return app.ann.pause_in_ms(need_ms)
    return pause


def _as_reading(ev):
    """A reading as the forwarders send it. Under 39 is a Dexcom error code to Nightscout
    (its urgent low never fires) and to a follower box (forward/follower.py MIN_SGV): a
    reading under 39 goes out as 39, Dexcom's "LOW" (the box's own alarms judge it as read)."""
    sgv = ev["sgv"]
    if sgv is not None and sgv < 39:
        sgv = 39
    return (ev["dex_s"], ev["unix_s"], sgv, ev["trend"], ev["state"], ev["source"])


def _status_thresholds(engine):
    """The LAN API's Nightscout thresholds from the alarm settings in force now:
    followers (xDrip+, Nightguard) draw the lines the box alarms at."""
    s = engine.current_settings()
    return {"bgHigh": s["urgent_high"], "bgTargetTop": s["high"], "bgTargetBottom": s["low"],
            "bgLow": s["urgent_low"]}


def _mqtt_alarm(pub, app):
    quiet = app.quiet()   # a follower's alarms its leader sounds are not this box's sound
    loudest = app.engine.loudest(quiet)
    pub.publish_alarm(loudest["type"] if loudest else None, app.engine.unanswered(quiet))


def _link_now(app):
    """The `link` topic at the publisher's start: the last link event's state, or
    what the box runs (a follower and a box without an ID have no link events).
    The `battery` topic is not told here: the transmitter's status is known only
    from its replies, and the broker's retained one is the best until then."""
    cfg = app.cfg
    if cfg.get("role") == "follower":
        return "follower"
    if not cfg.get("transmitter_id"):
        return "not_configured"
    return app.status.get("link") or "starting"


def _mqtt_event(pub, app, ev):
    kind = ev.get("event") or ""
    if kind == "reading":
        pub.publish_reading(_as_reading(ev))
    elif kind.startswith("alarm_") or kind == "annunciator" and getattr(app, "gate", None):
        # every change of an alarm (engine events: each tells one); on a gated follower also
        # a change of what it plays (the leader's word, alarms.gate), which has no alarm event
        _mqtt_alarm(pub, app)
    elif kind == "link":
        what = ev.get("what")
        if what == "battery_low":   # the transmitter's status, not the link's
            pub.publish_battery(ev.get("name") or "unknown")
        elif what == "sensor_state":
            pub.publish_sensor(ev.get("kind") or "unknown")
        elif what not in _NOT_LINK_STATE:
            pub.publish_link(what)


# --- set-up: the box's own access point and the setup/status page ---------------
def _setup(app):
    import machine
    import network
    from setup import ap as setup_ap
    uid = machine.unique_id()
    def changed(is_open, reason):
        app.emit({"event": "setup_ap", "open": is_open, "reason": reason})
        if is_open:   # open at last: an earlier failure to open it is over
            app.condition("device", "setup_ap", False)
    point = setup_ap.AccessPoint(network, uid, setup_ap.device_key(setup_ap.KEY_PATH, uid),
                                 on_change=changed, sound_pause=app.ann.pause_in_ms)
    app.setup_ap = point
    if not app.cfg.get("wifi"):
        try:
            point.open("no_wifi")
        except setup_ap.ApError as e:
            log.exc(e, "cannot open the setup access point")
            app.condition("device", "setup_ap", True)
    supervise(app, "setup_ap", point.run, 60)
    if app.setup_port is None:
        return
    if app.dns_port is not None:
        from setup import dns
        supervise(app, "setup_dns", lambda: _captive_dns(app, point, dns.serve), 60)
    from setup import web as setup_web
    srv = setup_web.SetupServer(app.config_path, lambda: setup_web.state_from_app(app),
                                lambda cfg: _restart_soon(app), point,
                                phone_clock=lambda unix_s: clock_from_phone(app, unix_s))
    srv.app.squeezed = lambda: app.memory.alarm   # not paused under pressure: narrowed
    srv.app.on_memory = lambda: app.out_of_memory("setup_web")
    supervise(app, "setup_web", lambda: srv.run(app.http_host, app.setup_port), 600)


PHONE_STEP_S = 60   # a phone's clock this close to the box's changes nothing


def clock_from_phone(app, unix_s):
    """The phone's clock, sent with a save of the settings: the wall clock of a
    box that has no NTP time (NTP is better when there is one). A box without
    Wi-Fi has no other source but the transmitter, which only gives back a time
    the box once had (app/txclock.py). A server's Date is weaker than the phone:
    a hotel's captive portal gave the box its own wrong clock, which the phone
    could not put right. True when set."""
    ts = app.timesync
    if ts is not None and ts.source == "ntp" and not ts.disputed():
        return False   # (disputed: NTP asks for a step the transmitter's clock refused)
    if clock.wall_valid() and abs(clock.unix() - unix_s) < PHONE_STEP_S:
        return False
    was = clock.unix() if clock.wall_valid() else None
    clock.set_unix(unix_s)
    if ts is not None:
        ts.phone_set()   # a portal's Date no longer undoes it
    log.info("time: set from the phone's clock (settings saved)%s",
             "" if was is None else "; it was %+d s off" % (was - unix_s))
    return True


async def _captive_dns(app, point, serve):
    """Every name -> the box, while the AP is open (serve: setup.dns.serve)."""
    while True:
        if point.is_open():
            # serve() binds before its first await (a failure raises at once) and
            # returns only when the AP closes: clear the error as it starts, not
            # after, or a retry that answers would still show the old failure
            app.status["captive_dns_error"] = None
            try:
                await serve(point, app.dns_port)
            except OSError as e:  # best effort: the page is still at its address,
                # and the status page says phones will not open it by themselves
                log.warn("setup: captive DNS: %r", e)
                app.status["captive_dns_error"] = repr(e)
                await asyncio.sleep(30)
        await asyncio.sleep(1)


def _open_setup(app, reason):
    if app.setup_ap is None:
        return
    try:
        app.setup_ap.open(reason)
        app.ann.cue("setup_open")  # a confirmation sound of its own
    except Exception as e:
        log.exc(e, "cannot open the setup access point")
        app.condition("device", "setup_ap", True)


def _restart_soon(app, why="settings saved: restarting to apply them"):
    """New settings take effect through a restart: the alarm state survives it
    in RTC memory, and the new configuration is read from scratch."""
    async def later():
        await asyncio.sleep(3)
        for hook in app.before_reset:
            try:
                hook()
            except Exception as e:  # a full flash must not stop the new settings
                log.exc(e, "before restart")
        try:
            app.rtc.planned_restart()
        except Exception as e:   # RTC memory refusing: the reset still applies the settings
            log.exc(e, "before restart")
        import machine
        machine.reset()
    log.info(why)
    asyncio.create_task(later())
