#!/bin/sh
# Headless Chromium + its WebDriver for the setup-page browser test
# (host_tests/test_setup_browser.py). Debian packages: `chromium`, `chromium-driver`.
# Idempotent: does nothing when both are present. Needs root and apt-get;
# without them it only says so (the test then fails in CI, skips on a dev box).
set -u
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: chromium/chromium-driver missing and not root with apt-get;" \
         "install them: apt-get install -y chromium chromium-driver" >&2
    exit 0
fi
echo "install_browser: apt-get install chromium chromium-driver (once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || echo "install_browser: apt-get update failed" >&2
apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null \
    || echo "install_browser: apt-get install failed; the browser test will fail" >&2
exit 0
