"""Mutation testing of the alarm engine (firmware/alarms/), the Dexcom codec
(firmware/dexcom/), the configuration, RTC record, memory and battery watches
(app), the link's bookkeeping (link), the forwarders (forward: the upload queue,
the follower, name lookups, the HTTP client, the MQTT publisher and the
Nightscout uploader over stand-ins), the sound patterns (sound),
the setup form (setup) or the modules at firmware/'s root (root: civil, clock,
reading): how many small, plausible bugs do their tests notice?

    python tools/mutation.py [--package alarms|dexcom|app|link|forward|sound|setup|screen|root] [--jobs 2]
                             [--only engine,glucose]
                             [--out build/mutation.txt]    (others: build/mutation_<package>.txt)
    python tools/mutation.py --list [--only settings]     # the mutants, without running
    python tools/mutation.py --show glucose#17            # one mutant as a diff
    python tools/mutation.py --package dexcom --show backfill#40
    python tools/mutation.py --package sound --mpy [--only annunciator]   # MicroPython-tested modules

Why not mutmut or cosmic-ray: mutmut 3 names a module after its file path and
only understands ./, src/ or source/ layouts (here tests import `alarms.engine`
from firmware/ put on sys.path by conftest; mutmut stops with "tests import the
source under a different module path"), and its trampolines mutate function
bodies only, so the thresholds and bounds table of settings.py, kinds.py and
the predictor's constants would never be mutated. cosmic-ray rewrites the
files in place (other engineers share this checkout) and starts a fresh pytest
per mutant, too slow for 2 cores. Here each mutant is compiled in memory and
served by an import hook inside a forked child that calls the test functions
(plain functions: no pytest needed), so nothing on disk changes and a killed
mutant costs a fraction of a second.

Operators: comparison boundary and negation (< <= > >=), == !=, is / is not,
in / not in, + -, += -=, and/or, dropping `not` and unary minus, numeric
constant +1 and -1, bool constant flipped, `return x` -> `return None`,
statement deleted (assignment, call, raise, continue, break), if-body removed
(the else branch remains), else-branch removed. Not mutated: docstrings,
strings, imports, the `const` fallback.

--mpy (MPY_TESTS below: the annunciator, the buttons, the buzzer and light drivers, the
supervisor, the Wi-Fi keeper, the HTTP client, the boot and main loop: --package root
--only main)
mutates modules whose tests run the firmware on the MicroPython unix port: each
mutant is written (ast.unparse: no comments) into the worker's copy of its
package, which the port and CPython find first (MUTANT_OVERLAY,
host_tests/conftest.py), and pytest runs the module's test files in a child
process. The files in firmware/ stay as they are; a mutant costs the seconds
those tests take.

Tests: the CPython side of the package's tests (PACKAGES below, or a module's
own in MODULE_TESTS; a test that
takes pytest's `tmp_path` gets a fresh directory, other fixtures are not
supported). Tests that run the
firmware on the MicroPython unix port (test_replay, test_device, ...) read the
unmutated files, so they cannot see an in-memory mutant; a CPython-vs-
MicroPython comparison would "kill" a mutant only by differing from the
original code, which a real bug present on both runtimes would not.
A mutant is killed when the tests fail (a test raises, or a test module
cannot import the mutant) or time out (an endless loop; on a loaded machine a
slow mutant can time out too); it survives when every test passes. A child
that dies of another signal ("crashed": out of memory, a segfault) or whose
harness fails ("error", exit 99) has no verdict: it is counted apart, in
neither killed nor survived, and listed in the survivors file.
"""
import argparse
import ast
import copy
import difflib
import importlib.abc
import importlib.util
import inspect
import os
import pathlib
import random
import signal
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _with_every(prefix, tests):
    """tests, then every other file whose path starts with prefix (nine alarm test files
    written after the list were left out of it: the engine's score read 74%)."""
    folder, stem = os.path.split(prefix)
    more = sorted(folder + "/" + f for f in os.listdir(os.path.join(ROOT, folder))
                  if f.startswith(stem) and f.endswith(".py"))
    return tests + tuple(f for f in more if f not in tests)


# package -> (modules to mutate, tests). A module is a file of firmware/<package>/,
# or "folder/module" for one of another firmware folder (imported as folder.module).
# Fast, sharp tests first: a killed mutant stops at its first failure; a test file
# that does not exist is skipped.
PACKAGES = {
    "alarms": (("engine", "glucose", "predict", "settings", "kinds", "persist", "gate"),
               _with_every("host_tests/dual/test_alarms_",
                           ("host_tests/dual/test_alarms_engine.py", "host_tests/dual/test_alarms_rules.py",
                            "host_tests/dual/test_gate_rules.py", "host_tests/dual/test_alarms_reset_loop.py",
                            "host_tests/dual/test_alarms_rate_gaps.py", "host_tests/dual/test_alarms_edges.py",
                            "host_tests/dual/test_alarms_conditions.py", "host_tests/dual/test_alarms_no_glucose.py",
                            "host_tests/dual/test_alarms_settings.py", "host_tests/dual/test_config.py",
                            "host_tests/dual/test_setup_form.py", "host_tests/test_alarms_properties.py"))),
    # errors.py (one class) and __init__.py (comments) have nothing to mutate.
    "dexcom": (("wire", "crc", "aes", "auth", "build", "replies", "glucose", "backfill", "info",
                "messages", "states", "protocol"),
               ("host_tests/dual/test_dexcom_rules.py", "host_tests/dual/test_dexcom_codec.py",
                "host_tests/dual/test_dexcom_vectors.py", "host_tests/test_dexcom_crosscheck.py",
                "host_tests/test_capture.py")),
    # Only CPython-side tests: the MicroPython-port ones (test_forward, test_link_*,
    # test_setup_ap, ...) read the files on disk and cannot see a mutant.
    "app": (("config", "persist", "memory", "power", "localtime", "txclock", "supervisor", "fsutil", "log",
             "webserver"),
            ("host_tests/dual/test_config_rules.py", "host_tests/dual/test_persist_rules.py",
             "host_tests/dual/test_config.py", "host_tests/dual/test_config_files.py",
             "host_tests/dual/test_app_persist.py", "host_tests/dual/test_setup_form.py")),
    "link": (("plan",),
             ("host_tests/dual/test_link_plan_rules.py",)),
    "forward": (("timesync", "entries", "history", "redate", "queue", "follower", "names", "wifi", "http", "failure",
                 "mqtt", "nightscout", "lanapi", "sensorstart"),
                ("host_tests/dual/test_forward_rules.py", "host_tests/dual/test_forward_pure.py",
                 "host_tests/dual/test_follower.py")),
    "sound": (("patterns", "annunciator", "buttons", "board", "outputs"),
              ("host_tests/dual/test_patterns_rules.py", "host_tests/dual/test_sound_patterns.py",
               "host_tests/dual/test_power.py")),
    "setup": (("form", "units", "dns", "ap", "page"),
              ("host_tests/dual/test_form_rules.py", "host_tests/dual/test_setup_form.py",
               "host_tests/dual/test_setup_web_rules.py")),   # (form.zone_mismatch's rules)
    "screen": (("view", "draw"),
               ("host_tests/dual/test_screen_view.py",)),
    # ROOT_PACKAGE: the modules directly in firmware/ (imported as civil, clock, reading);
    # their tests are each module's own (MODULE_TESTS "root/<module>")
    "root": (("civil", "clock", "reading", "strictjson"), ()),
}
ROOT_PACKAGE = "root"   # not a folder: its modules are files of firmware/ itself
# module -> its own tests, instead of its package's (round 2: the package's tests
# stay as they were for the modules of round 1). Keyed "package/module".
MODULE_TESTS = {
    # config: the package's tests and the forwarders' URL, secret and CA-file rules
    "app/config": PACKAGES["app"][1] + ("host_tests/dual/test_config_forwarders.py",),
    "app/memory": ("host_tests/dual/test_watch_rules.py",),
    "app/power": ("host_tests/dual/test_watch_rules.py", "host_tests/dual/test_power.py"),
    "app/localtime": ("host_tests/dual/test_localtime_rules.py", "host_tests/dual/test_config_rules.py"),
    "app/txclock": ("host_tests/dual/test_txclock_rules.py",),
    "app/supervisor": ("host_tests/dual/test_supervisor_rules.py",),
    "app/fsutil": ("host_tests/dual/test_fsutil_log_rules.py", "host_tests/dual/test_config_files.py", "host_tests/dual/test_setup_key_cuts.py",
                   "host_tests/dual/test_txclock_rules.py", "host_tests/dual/test_nightscout_rules.py"),
    "app/webserver": ("host_tests/dual/test_webserver_rules.py", "host_tests/dual/test_lanapi_rules.py"),
    "setup/dns": ("host_tests/dual/test_setup_dns.py",),
    "setup/ap": ("host_tests/dual/test_setup_ap_page_rules.py", "host_tests/dual/test_setup_ap_rules.py", "host_tests/dual/test_setup_key_cuts.py"),
    "setup/page": ("host_tests/dual/test_setup_ap_page_rules.py", "host_tests/dual/test_setup_web_rules.py", "host_tests/dual/test_setup_form.py",
                   "host_tests/dual/test_setup_refused_save.py"),
    "app/log": ("host_tests/dual/test_fsutil_log_rules.py", "host_tests/dual/test_supervisor_rules.py", "host_tests/dual/test_txclock_rules.py",
                "host_tests/dual/test_wifi_rules.py"),
    "sound/annunciator": ("host_tests/dual/test_annunciator_rules.py",),
    "sound/buttons": ("host_tests/dual/test_buttons_rules.py",),
    "sound/outputs": ("host_tests/dual/test_outputs_rules.py", "host_tests/dual/test_board_calls.py",
                      "host_tests/dual/test_annunciator_rules.py"),
    "sound/board": ("host_tests/dual/test_board_rules.py", "host_tests/dual/test_sound_patterns.py",
                    "host_tests/dual/test_board_calls.py", "host_tests/dual/test_screen_view.py"),
    "forward/queue": ("host_tests/dual/test_queue_rules.py", "host_tests/dual/test_forward_pure.py"),
    "forward/follower": ("host_tests/dual/test_follower_rules.py", "host_tests/dual/test_follower.py",
                         "host_tests/dual/test_forward_rules.py"),
    "forward/timesync": ("host_tests/dual/test_forward_rules.py", "host_tests/dual/test_forward_pure.py",
                         "host_tests/dual/test_follower.py", "host_tests/dual/test_timesync_ntp_answers.py"),
    # wifi: the quiet rules (BLE window, sound pauses, lookups) and, over a stand-in
    # radio, the join and back-off loop (test_wifi_rules.py) have CPython tests; the
    # loop over the host network fake runs on MicroPython only (forward_mpy/wifi_*.py)
    "forward/wifi": ("host_tests/dual/test_wifi_rules.py", "host_tests/dual/test_wifi_quiet.py",
                     "host_tests/dual/test_forward_rules.py",
                     "host_tests/dual/test_config.py", "host_tests/dual/test_config_rules.py"),
    "forward/names": ("host_tests/dual/test_watch_rules.py", "host_tests/dual/test_forward_dns.py",
                      "host_tests/dual/test_forward_rules.py"),
    # http: its rules over a stand-in asyncio (scripted answers, recorded writes)
    "forward/http": ("host_tests/dual/test_http_rules.py",),
    "forward/failure": ("host_tests/dual/test_forward_failure_rules.py",),
    # the forwarders' rules over stand-ins (umqtt's client; http.request)
    "forward/mqtt": ("host_tests/dual/test_mqtt_rules.py",),
    # (the readings kept for a reset, and the sensor start's post, have files of their own)
    "forward/nightscout": ("host_tests/dual/test_nightscout_rules.py", "host_tests/dual/test_nightscout_held.py",
                           "host_tests/dual/test_nightscout_sensor_start.py"),
    "forward/sensorstart": ("host_tests/dual/test_nightscout_sensor_start.py",
                            "host_tests/dual/test_nightscout_rules.py"),
    "forward/lanapi": ("host_tests/dual/test_lanapi_rules.py",),
    # the root modules (firmware/*.py): their own rules first, then the tests of the
    # modules that use them (timesync, entries, localtime; the alarms and the Dexcom
    # codec build readings). clock.py imports the port's time (ticks_ms), so no other
    # CPython test imports it (they use stand-ins); its rules run it over a stand-in
    # time and machine (--mpy: also the port's tests that use it, MPY_TESTS)
    "root/civil": ("host_tests/dual/test_root_civil_rules.py", "host_tests/dual/test_forward_rules.py",
                   "host_tests/dual/test_localtime_rules.py", "host_tests/dual/test_timesync_ntp_answers.py",
                   "host_tests/dual/test_forward_pure.py"),
    "root/clock": ("host_tests/dual/test_root_clock_rules.py",),
    "root/strictjson": ("host_tests/test_config_syntax.py", "host_tests/dual/test_config_rules.py",
                        "host_tests/dual/test_config_files.py", "host_tests/dual/test_board_rules.py"),
    # (PERIOD_S and BACKFILL_MAX_S: the link's wake-ups and gap, the hold of undated readings)
    "root/reading": ("host_tests/dual/test_root_reading_rules.py", "host_tests/dual/test_reading.py",
                     "host_tests/dual/test_alarms_rules.py", "host_tests/dual/test_alarms_engine.py",
                     "host_tests/dual/test_dexcom_rules.py", "host_tests/dual/test_dexcom_codec.py",
                     "host_tests/dual/test_link_plan_rules.py", "host_tests/dual/test_nightscout_held.py"),
}
# --mpy: modules whose tests run the firmware on the MicroPython unix port (the
# annunciator, the buttons and drivers, the supervisor, the Wi-Fi keeper's join loop, the
# HTTP client). Each mutant is
# written into the worker's copy of its package, which host_tests/conftest.py puts
# first on the port's MICROPYPATH and on CPython's sys.path (MUTANT_OVERLAY), and
# these files run under pytest in a child process: seconds per mutant, not
# fractions, so few files.
MPY_TESTS = {
    "sound/annunciator": ("host_tests/test_sound.py", "host_tests/test_blocked_loop.py",
                          "host_tests/dual/test_annunciator_rules.py"),
    "app/supervisor": ("host_tests/test_supervisor.py", "host_tests/dual/test_supervisor_rules.py"),
    "sound/buttons": ("host_tests/dual/test_buttons_rules.py", "host_tests/test_sound.py"),
    "sound/outputs": ("host_tests/dual/test_outputs_rules.py", "host_tests/dual/test_board_calls.py",
                      "host_tests/test_sound.py"),
    "forward/http": ("host_tests/dual/test_http_rules.py", "host_tests/dual/test_forward_rules.py",
                     "host_tests/test_forward.py::test_a_chunked_answer_is_read_without_its_chunk_sizes",
                     "host_tests/test_forward.py::test_a_chunked_body_is_read_by_its_chunks_or_refused",
                     "host_tests/test_forward.py::test_outage_every_reading_once_in_order",
                     "host_tests/test_forward_https.py"),
    # the BLE link: its sessions against the virtual transmitter (about 20 s a mutant:
    # a full run takes hours, --sample gives an estimate)
    "link/core": ("host_tests/test_link_sequence.py", "host_tests/test_link_session.py",
                  "host_tests/test_link_vtx.py", "host_tests/test_link_g5.py",
                  "host_tests/test_link_rogue_many.py", "host_tests/test_link_radio_busy.py",
                  "host_tests/test_link_connect_timing.py", "host_tests/test_link_wiring.py",
                  "host_tests/test_link_gaps.py",
                  # the bond store, its saves, dates, adverts, a refused key, an unreached
                  # transmitter: 6 s more (the IRQ handler kept alive by a stray notification)
                  "host_tests/test_link_bond_store.py", "host_tests/test_link_bond_save.py",
                  "host_tests/test_link_dates.py", "host_tests/test_link_scan_adverts.py",
                  "host_tests/test_link_auth_refused.py", "host_tests/test_link_unreached.py"),
    "forward/wifi": ("host_tests/dual/test_wifi_rules.py",
                     "host_tests/test_forward.py::test_wifi_keeper_and_time_sync",
                     "host_tests/test_forward_wifi_outage.py", "host_tests/dual/test_wifi_quiet.py"),
    # framebuf is MicroPython's: the layout is tested only on the port, through the panels'
    # models (what the screen shows found by the font's own bitmap)
    "screen/draw": ("host_tests/test_screen_draw.py", "host_tests/test_screen.py"),
    # the display's task: a panel that fails raises the device alarm "display"
    "screen/run": ("host_tests/dual/test_screen_run.py", "host_tests/test_screen.py"),
    # the clock on the port: the virtual time's 2000 epoch and tick wrap, the clock notice,
    # the schedules after a set (DST, a phone's save, the transmitter's time after a power cut)
    "root/clock": ("host_tests/dual/test_root_clock_rules.py", "host_tests/test_host_runtime.py",
                   "host_tests/test_clock_notice.py",
                   "host_tests/test_device.py::test_schedules_follow_daylight_saving_time_when_a_tz_rule_is_set",
                   "host_tests/test_device.py::test_after_a_power_cut_the_transmitter_gives_the_time_of_day_back",
                   "host_tests/test_device.py::test_schedules_without_a_time_of_day_raise_a_notice_until_the_clock_is_set"),
    # the composition (app/wiring.py: which part starts from which config, the config's
    # names to the forwarders', link events to conditions, alarms and link state to MQTT):
    # its rules over stand-ins first, then the app booted on the port with its config
    # (the virtual board, Wi-Fi and broker) and the tests that call its pieces. Not
    # test_device.py, for its time (77 s a surviving mutant; it sees the mutant since
    # session 26: its programs take conftest's path, sim() mpybuild's compiled overlay,
    # as do test_failure_audit's _run_as_written tests). test_captive_dns_server imports
    # dual/test_setup_dns, which needs dual/ on the path: after a dual file
    "app/wiring": ("host_tests/dual/test_wiring_rules.py",
                   "host_tests/test_captive_dns_server.py",
                   "host_tests/test_link_wiring.py",
                   "host_tests/test_mqtt_boot_alarm.py", "host_tests/test_failure_audit.py",
                   "host_tests/test_follower_rtc.py",
                   "host_tests/test_forward.py::test_mqtt_alarm_unanswered_is_not_masked_by_a_louder_new_alarm",
                   "host_tests/test_forward.py::test_mqtt_publishes_the_transmitters_battery_status_the_link_reports",
                   "host_tests/test_forward.py::test_the_lan_apis_status_reports_the_boxs_alarm_thresholds_in_force",
                   "host_tests/test_memory_pressure.py::test_forwarding_that_ran_out_of_memory_at_boot_is_started_later",
                   "host_tests/test_memory_pressure.py::test_a_start_that_keeps_running_out_of_memory_is_tried_less_and_less_often",
                   "host_tests/test_memory_pressure.py::test_a_late_start_that_fails_otherwise_is_not_doubled",
                   "host_tests/test_memory_pressure.py::test_a_link_whose_start_ran_out_of_memory_is_retried_even_under_memory_pressure",
                   "host_tests/test_memory_pressure.py::test_the_lan_apis_history_is_kept_only_for_the_lan_api",
                   "host_tests/test_memory_pressure.py::test_with_nightscout_and_the_lan_api_the_readings_are_held_once",
                   "host_tests/test_screen.py::test_the_screen_shows_the_reading_its_age_and_the_alarm_and_says_when_it_fails"),
    # the boot and main loop (firmware/main.py: the tasks it starts, readings to the
    # engine and the listeners, the alarm path kept alive when other parts fail, the
    # watchdog, the box that cannot start). No CPython test can import it (machine,
    # the port's time): --mpy only. Its own rules first (test_main_rules.py), then
    # every program that builds main.App or runs tools/sim.py (it sees the mutant:
    # APP_MICROPYPATH, mpybuild's compiled overlay), the fast ones first,
    # test_device.py (about 65 s) last: a survivor costs about 2 min. Not the forwarders' and the link's sim runs (test_forward, test_link_*,
    # test_chaos: minutes each), which exercise main only as the path they go through
    "root/main": ("host_tests/test_main_rules.py",
                  "host_tests/test_failure_audit.py", "host_tests/test_blocked_loop.py",
                  "host_tests/test_alarm_app_edges.py", "host_tests/test_clock_notice.py",
                  "host_tests/test_follower_rtc.py", "host_tests/test_mqtt_boot_alarm.py",
                  "host_tests/test_link_wiring.py",
                  "host_tests/test_sound.py::test_a_restart_racing_a_poke_ends_the_old_run",
                  "host_tests/test_screen.py", "host_tests/test_memory_pressure.py",
                  # the flash's try and its alarm (App._try_flash; 9 s)
                  "host_tests/test_flash_full.py",
                  "host_tests/test_device.py"),
    # the setup page's server (sign-in, sessions, the save, the status page); the
    # form's rules are form.py's (CPython, above)
    "setup/web": ("host_tests/dual/test_setup_web_rules.py", "host_tests/dual/test_setup_refused_save.py",
                  "host_tests/test_setup_ap.py",
                  "host_tests/test_failure_audit.py::test_the_setup_pages_first_save_after_a_factory_reset_keeps_the_boards_name",
                  "host_tests/test_setup_browser.py"),
}
MPY = False   # --mpy given
SAMPLE_SEED = 23   # --sample: the same mutants at every run
PACKAGE = "alarms"
MODULES, TESTS = PACKAGES[PACKAGE]
TESTS_GIVEN = False   # --tests: those files for every module
WORK = os.path.join("build", "mutation")

_CMP_SWAP = {ast.Lt: (ast.LtE, ast.GtE), ast.LtE: (ast.Lt, ast.Gt), ast.Gt: (ast.GtE, ast.LtE),
             ast.GtE: (ast.Gt, ast.Lt), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
             ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,), ast.In: (ast.NotIn,), ast.NotIn: (ast.In,)}
_BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add}
_SYM = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
        ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+",
        ast.Sub: "-", ast.And: "and", ast.Or: "or"}
_DELETABLE = (ast.Assign, ast.AugAssign, ast.Expr, ast.Raise, ast.Continue, ast.Break)


class _Mutator(ast.NodeTransformer):
    """Walks a module in a fixed order; each mutation site gets the next
    number. With target=None it only lists the sites; with target=i it applies
    site i (later sites are never applied: their numbers are all past i)."""

    def __init__(self, target=None):
        self.target = target
        self.sites = []      # (line, column, description)

    def _site(self, node, desc):
        self.sites.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1, desc))
        return len(self.sites) - 1 == self.target

    # statements
    def _delete(self, node, what):
        if self._site(node, "delete " + what):
            return ast.Pass()
        return None

    def visit_Try(self, node):
        for h in node.handlers:   # try: from micropython import const / except ImportError
            if isinstance(h.type, ast.Name) and h.type.id == "ImportError":
                return node
        return self.generic_visit(node)

    def visit_Import(self, node):
        return node

    visit_ImportFrom = visit_Import

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node          # docstring
        return self._delete(node, "statement") or self.generic_visit(node)

    def visit_Assign(self, node):
        return self._delete(node, "assignment") or self.generic_visit(node)

    def visit_AugAssign(self, node):
        deleted = self._delete(node, "assignment")
        if deleted:
            return deleted
        swap = _BIN_SWAP.get(type(node.op))
        if swap and self._site(node, "%s= -> %s=" % (_SYM[type(node.op)], _SYM[swap])):
            node.op = swap()
            return node
        return self.generic_visit(node)

    def visit_Raise(self, node):
        return self._delete(node, "raise") or self.generic_visit(node)

    def visit_Continue(self, node):
        return self._delete(node, "continue") or node

    def visit_Break(self, node):
        return self._delete(node, "break") or node

    def visit_Return(self, node):
        v = node.value
        if v is not None and not (isinstance(v, ast.Constant) and v.value is None):
            if self._site(node, "return x -> return None"):
                node.value = ast.Constant(None)
                return node
        return self.generic_visit(node)

    def visit_If(self, node):
        if self._site(node, "if-body removed"):
            return node.orelse or ast.Pass()
        if node.orelse and self._site(node.orelse[0], "else branch removed (of the if at line %d)" % node.lineno):
            node.orelse = []
            return self.generic_visit(node)
        return self.generic_visit(node)

    # expressions
    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            for new in _CMP_SWAP.get(type(op), ()):
                if self._site(node, "%s -> %s" % (_SYM[type(op)], _SYM[new])):
                    node.ops[i] = new()
                    return node
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        swap = _BIN_SWAP.get(type(node.op))
        if swap and self._site(node, "%s -> %s" % (_SYM[type(node.op)], _SYM[swap])):
            node.op = swap()
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._site(node, "%s -> %s" % (_SYM[type(node.op)], _SYM[new])):
            node.op = new()
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.Not, ast.USub)):
            if self._site(node, "drop unary %s" % ("not" if isinstance(node.op, ast.Not) else "-")):
                return node.operand
        return node

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, bool):
            if self._site(node, "%r -> %r" % (v, not v)):
                return ast.Constant(not v)
        elif isinstance(v, (int, float)):
            for d in (1, -1):
                if self._site(node, "constant %r -> %r" % (v, v + d)):
                    return ast.Constant(v + d)
        return node


def _where(module):
    """(import name, file path relative to the repository) of a module of PACKAGE."""
    folder, _, name = module.rpartition("/")
    folder = folder or PACKAGE
    if folder == ROOT_PACKAGE:
        return name, os.path.join("firmware", name + ".py")
    return folder.replace("/", ".") + "." + name, os.path.join("firmware", folder, name + ".py")


def tests_of(module):
    """The test files run against a mutant of module."""
    if TESTS_GIVEN:
        return TESTS
    if MPY:
        return MPY_TESTS[PACKAGE + "/" + module]
    return MODULE_TESTS.get(PACKAGE + "/" + module, PACKAGES[PACKAGE][1])


def _source(module):
    with open(os.path.join(ROOT, _where(module)[1])) as f:
        return f.read()


def sites(module):
    m = _Mutator()
    m.visit(ast.parse(_source(module)))
    return m.sites


def mutant_tree(module, index):
    tree = _Mutator(index).visit(ast.parse(_source(module)))
    return ast.fix_missing_locations(tree)


def show(module, index):
    before = ast.unparse(ast.parse(_source(module))).splitlines()
    after = ast.unparse(mutant_tree(module, index)).splitlines()
    line, col, desc = sites(module)[index]
    out = ["%s#%d %s.py:%d:%d: %s" % (module, index, module, line, col, desc)]
    out += list(difflib.unified_diff(before, after, "original", "mutant", n=2, lineterm=""))[2:]
    return "\n".join(out)


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves <package>.<module> from the mutant's code object (in the child)."""

    def __init__(self, name, path, code):
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname, path, target=None):
        if fullname == self.name:
            return importlib.util.spec_from_file_location(fullname, self.path, loader=self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.code, module.__dict__)


def _workdir(slot):
    """A private cwd per worker: the repository's entries linked in, its own
    build/ (test_config writes build/test_config_cpython), ../shared beside."""
    base = os.path.join(ROOT, WORK)
    wd = os.path.join(base, "w%d" % slot)
    os.makedirs(os.path.join(wd, "build"), exist_ok=True)
    for name in os.listdir(ROOT):
        if name in ("build", ".git"):
            continue
        link = os.path.join(wd, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(ROOT, name), link)
    shared = os.path.join(base, "shared")
    if not os.path.lexists(shared):
        os.symlink(os.path.normpath(os.path.join(ROOT, "..", "shared")), shared)
    return wd


def _run_tests(verbose):
    """Every test_* function of TESTS in file order, stopping at the first
    failure; returns 0 when all pass. The alarm tests are plain functions
    (the dual ones also run on MicroPython without pytest; the hypothesis ones
    call as they are), so no pytest is needed, which halves a mutant's cost."""
    for p in ("firmware", "tools", os.path.join("tools", "host")):   # as conftest.py does
        sys.path.insert(0, os.path.abspath(p))
    for n, path in enumerate(TESTS):
        if not os.path.exists(path):
            continue
        here = os.path.abspath(os.path.dirname(path))    # pytest's prepend import mode
        if here not in sys.path:
            sys.path.insert(0, here)
        spec = importlib.util.spec_from_file_location("_mutation_test_%d" % n, path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)   # imports the mutant: it may fail there
        except Exception:
            if verbose:
                import traceback
                traceback.print_exc()
                print("FAILED to import %s" % path)
            return 1
        names = [k for k in vars(mod) if k.startswith("test_") and callable(vars(mod)[k])]
        for name in names:       # definition order (dicts keep insertion order)
            try:
                fn = getattr(mod, name)
                params = inspect.signature(fn).parameters
                fn(*[pathlib.Path(tempfile.mkdtemp(dir="build")) for p in params if p == "tmp_path"])
            except Exception:
                if verbose:
                    import traceback
                    traceback.print_exc()
                    print("FAILED %s::%s" % (path, name))
                return 1
    return 0


def _child(module, index, wd, timeout_s, verbose, tests=None):
    global TESTS
    signal.alarm(int(timeout_s) + 1)   # default action: the child dies (an endless loop)
    if tests is not None:
        TESTS = tests
    os.chdir(wd)
    if not verbose:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    try:
        if index is not None:
            name, rel = _where(module)
            path = os.path.join(wd, rel)
            code = compile(mutant_tree(module, index), path, "exec")
            sys.meta_path.insert(0, _MutantFinder(name, path, code))
        import hypothesis
        hypothesis.settings.register_profile("mutation", database=None, derandomize=True)
        hypothesis.settings.load_profile("mutation")
        rc = _run_tests(verbose)
    except BaseException:
        if verbose:
            import traceback
            traceback.print_exc()
        rc = 99
    sys.stdout.flush()
    os._exit(int(rc))


def _child_mpy(module, index, wd, timeout_s, verbose, tests):
    """--mpy: the mutant (index None: the original, unparsed as the mutants are)
    replaces its module in the worker's copy of the package, and pytest runs the
    module's MicroPython tests (stopping at the first failure). A run past
    timeout_s is killed with its MicroPython children and counted as a timeout."""
    import shutil
    import subprocess
    _, rel = _where(module)
    # its own folder: two runs at once (other packages) share the worker folders
    overlay = tempfile.mkdtemp(prefix="overlay-", dir=wd)
    if os.path.dirname(rel) != "firmware":   # a package: all of it (a root module: its file alone)
        folder = os.path.join(overlay, os.path.relpath(os.path.dirname(rel), "firmware"))
        shutil.copytree(os.path.join(ROOT, os.path.dirname(rel)), folder, dirs_exist_ok=True)
    tree = ast.parse(_source(module)) if index is None else mutant_tree(module, index)
    with open(os.path.join(overlay, os.path.relpath(rel, "firmware")), "w") as f:
        f.write(ast.unparse(tree) + "\n")
    out = None if verbose else subprocess.DEVNULL
    # a test file that does not exist (yet) is skipped, as on CPython
    tests = [t for t in tests if os.path.exists(os.path.join(wd, t.partition("::")[0]))]
    # its own pytest folder too: pytest prunes the shared /tmp/pytest-of-<user> numbered
    # folders, so runs at once deleted each other's tmp_path (a test failed: a false kill)
    p = subprocess.Popen([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                          "--basetemp", os.path.join(overlay, "pytest")] + list(tests),
                         cwd=wd, env=dict(os.environ, MUTANT_OVERLAY=overlay), stdout=out, stderr=out,
                         start_new_session=True)
    try:
        rc = p.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        rc = None
    shutil.rmtree(overlay, ignore_errors=True)
    if rc is None:
        os.kill(os.getpid(), signal.SIGALRM)   # dies of it: _outcome's timeout
    os._exit(0 if rc == 0 else 1 if rc == 1 else 99)   # pytest: 1 = a test failed


def _outcome(status):
    """survived (exit 0), killed (exit 1: a test failed), timeout (SIGALRM),
    crashed (another signal) or error (any other exit: the harness failed)."""
    if os.WIFSIGNALED(status):
        return "timeout" if os.WTERMSIG(status) == signal.SIGALRM else "crashed"
    code = os.WEXITSTATUS(status)
    return "survived" if code == 0 else "killed" if code == 1 else "error"


_KILLED = ("killed", "timeout")
_NO_VERDICT = ("crashed", "error")


def run_all(jobs, only, timeout_s, progress=True, sample=None, seed=SAMPLE_SEED):
    """Every mutant of the chosen modules, or a seeded sample of `sample` of each
    module's (another `seed`, another sample); returns {module: [(index, line, col, desc, outcome)]}."""
    todo = []
    for m in only:
        items = [(m, i, line, col, desc) for i, (line, col, desc) in enumerate(sites(m))]
        if sample is not None and sample < len(items):
            items = sorted(random.Random(seed).sample(items, sample))
        todo += items
    results = dict((m, []) for m in only)
    slots = list(range(jobs))
    workdirs = [_workdir(s) for s in slots]
    running = {}          # pid -> (slot, item)
    done = 0
    while todo or running:
        while todo and slots:
            slot = slots.pop()
            item = todo.pop(0)
            pid = os.fork()
            if pid == 0:
                (_child_mpy if MPY else _child)(item[0], item[1], workdirs[slot], timeout_s, False,
                                                tests_of(item[0]))
            running[pid] = (slot, item)
        pid, status = os.wait()
        if pid not in running:
            continue
        slot, (m, i, line, col, desc) = running.pop(pid)
        slots.append(slot)
        results[m].append((i, line, col, desc, _outcome(status)))
        done += 1
        if progress and done % 25 == 0:
            sys.stderr.write("  %d mutants run, %d to go\n" % (done, len(todo) + len(running)))
    for m in results:
        results[m].sort()
    return results


def baseline(only=None, timeout_s=600):
    """The unmutated tests (every file run against a module of `only`) must
    pass in the same harness; returns seconds."""
    tests = []
    for m in only or MODULES:
        tests += [t for t in tests_of(m) if t not in tests]
    wd = _workdir(0)
    t0 = time.time()
    # --mpy: each module's files against its unparsed original (the mean sets the timeout)
    runs = [(m, tests_of(m)) for m in only or MODULES] if MPY else [(None, tuple(tests))]
    for m, files in runs:
        pid = os.fork()
        if pid == 0:
            (_child_mpy if MPY else _child)(m, None, wd, timeout_s, True, files)
        _, status = os.waitpid(pid, 0)
        if _outcome(status) != "survived":
            raise SystemExit("mutation: the %s tests fail without any mutant (%s); run them: "
                             ".venv/bin/python -m pytest -x %s" % (m or PACKAGE, _outcome(status), " ".join(files)))
    return (time.time() - t0) / len(runs)


def report(results, seconds, jobs):
    """Score = killed / (killed + survived); crashed and error mutants have no
    verdict and are counted apart."""
    fmt = "%-9s %8s %7s %9s %9s %7s"
    lines = [fmt % ("module", "mutants", "killed", "survived", "no_verdict", "score")]
    total = killed = survived = 0
    for m, rows in results.items():
        k = sum(1 for r in rows if r[4] in _KILLED)
        s = sum(1 for r in rows if r[4] == "survived")
        lines.append(fmt % (m, len(rows), k, s, len(rows) - k - s,
                            "%.1f%%" % (100.0 * k / (k + s)) if k + s else "-"))
        total += len(rows)
        killed += k
        survived += s
    lines.append(fmt % ("total", total, killed, survived, total - killed - survived,
                        "%.1f%%" % (100.0 * killed / (killed + survived)) if killed + survived else "-"))
    lines.append("(%d s on %d jobs; killed includes %d timeouts; no verdict: %d crashed, %d harness "
                 "errors, not counted in the score)" % (
                     seconds, jobs, sum(1 for rows in results.values() for r in rows if r[4] == "timeout"),
                     sum(1 for rows in results.values() for r in rows if r[4] == "crashed"),
                     sum(1 for rows in results.values() for r in rows if r[4] == "error")))
    return "\n".join(lines)


def main(argv=None):
    global PACKAGE, MODULES, TESTS, TESTS_GIVEN, MPY
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--package", default="alarms", choices=sorted(PACKAGES),
                    help="which firmware package to mutate (default alarms)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="comma-separated modules of the package (default: all)")
    ap.add_argument("--out", help="survivors file (default build/mutation.txt for alarms, "
                                  "build/mutation_<package>.txt otherwise)")
    ap.add_argument("--tests", help="comma-separated test files (default: the package's)")
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--show", help="MODULE#N: print that mutant as a diff")
    ap.add_argument("--run", help="MODULE#N: run the tests against that mutant, showing the first failure")
    ap.add_argument("--timeout", type=float, default=600,
                    help="--run: seconds before the mutant counts as looping for ever (default 600; "
                         "a full run sets five times its baseline)")
    ap.add_argument("--sample", type=int,
                    help="run a seeded random sample of N mutants of each module (an estimate, for "
                         "modules whose full run takes hours)")
    ap.add_argument("--seed", type=int, default=SAMPLE_SEED,
                    help="--sample: which sample (default %d, the same mutants at every run)" % SAMPLE_SEED)
    ap.add_argument("--mpy", action="store_true",
                    help="the package's modules tested on the MicroPython port only (MPY_TESTS), "
                         "each mutant in a copy of its package; build/mutation_mpy_<package>.txt")
    args = ap.parse_args(argv)
    PACKAGE = args.package
    MODULES, TESTS = PACKAGES[PACKAGE]
    MPY = args.mpy
    if MPY:
        MODULES = tuple(k.partition("/")[2] for k in MPY_TESTS if k.partition("/")[0] == PACKAGE)
        if not MODULES:
            ap.error("no module of %s is in MPY_TESTS" % PACKAGE)
    if args.only is None:
        args.only = ",".join(MODULES)
    TESTS_GIVEN = args.tests is not None
    if args.tests is None:
        args.tests = ",".join(TESTS)
    if args.out is None:
        args.out = os.path.join("build", "mutation_mpy_%s.txt" % PACKAGE if MPY else
                                "mutation.txt" if PACKAGE == "alarms" else "mutation_%s.txt" % PACKAGE)
    if args.show:
        m, _, n = args.show.partition("#")
        print(show(m, int(n)))
        return 0
    TESTS = tuple(t.strip() for t in args.tests.split(",") if t.strip())
    if args.run:
        m, _, n = args.run.partition("#")
        print(show(m, int(n)))
        pid = os.fork()
        if pid == 0:
            (_child_mpy if MPY else _child)(m, int(n), _workdir(0), args.timeout, True, tests_of(m))
        _, status = os.waitpid(pid, 0)
        print(_outcome(status))
        return 0
    only = [m.strip() for m in args.only.split(",") if m.strip()]
    for m in only:
        if m not in MODULES:
            ap.error("unknown module %r (one of %s)" % (m, ", ".join(MODULES)))
    if args.list:
        for m in only:
            for i, (line, col, desc) in enumerate(sites(m)):
                print("%s#%d\t%s.py:%d:%d\t%s" % (m, i, m, line, col, desc))
        return 0
    # pre-import what every child needs, so a fork costs no import time
    import hypothesis  # noqa: F401
    import hypothesis.strategies  # noqa: F401
    t0 = time.time()
    base = baseline(only, timeout_s=1800 if MPY else 600)
    timeout_s = max(10.0, 5 * base)
    print("baseline: the %s tests pass in %.1f s; mutant timeout %d s" % (PACKAGE, base, timeout_s))
    results = run_all(max(1, args.jobs), only, timeout_s, sample=args.sample, seed=args.seed)
    seconds = time.time() - t0
    summary = report(results, seconds, args.jobs)
    print(summary)
    out = os.path.join(ROOT, args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(summary + "\n\nsurvivors (python tools/mutation.py --package %s --show MODULE#N for the "
                          "diff):\n" % PACKAGE)
        for m, rows in results.items():
            src = _source(m).splitlines()
            for i, line, col, desc, outcome in rows:
                if outcome == "survived" or outcome in _NO_VERDICT:
                    desc = desc if outcome == "survived" else "%s [%s: no verdict]" % (desc, outcome)
                    f.write("%s#%d\t%s:%d:%d\t%s\t| %s\n" % (m, i, _where(m)[1], line, col, desc,
                                                             src[line - 1].strip() if line else ""))
    print("survivors: " + os.path.relpath(out, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
