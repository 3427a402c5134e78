"""The status page says what stopped the forwarders' last try, through the real main.App:
the uploader the wiring starts is the one the page asks (app.nightscout), and the row says
"failing: ..." with its own `forwarding` alarm on (a refused secret raises it at once)."""
from apprun import booted_app, run_app
from nsserver import NsServer

PROG = booted_app(r'''
import network, reading
from setup import web


def row(html, name):
    at = html.index("id=%s>" % name) + len("id=%s>" % name)
    return html[at:html.index("<", at)]


async def scenario():
    network.world.add_ap("home", "password1", rssi=-60)
    asyncio.create_task(app.start())
    await asyncio.sleep(30)
    u = clock.unix()
    app.on_reading(reading.make(1000, u, 120, 0, 6))
    await asyncio.sleep(120)                    # the upload tried, refused: the alarm at once
    shown = row("".join(web.page.status_page(web.state_from_app(app), app.cfg)), "nightscout")
    print("RESULT " + json.dumps({"shown": shown,
                                  "reasons": [a.get("reason") for a in app.engine.active()
                                              if a["type"] == "forwarding"]}))
    sys.exit(0)
''', wall_unix=1764892800)


def test_a_refused_api_secret_is_said_on_the_status_pages_nightscout_row(tmp_path):
    srv = NsServer(secret="the-servers-own-secret", bad_delay_s=0)
    try:
        cfg = {"board": "esp32-devkitc", "transmitter_id": "8G12AB",
               "wifi": [{"ssid": "home", "password": "password1"}],
               "nightscout": {"url": "http://127.0.0.1:%d" % srv.port, "api_secret": "a-changed-secret",
                              "allow_http": True}}
        out = run_app(tmp_path, cfg, PROG)
    finally:
        srv.close()
    assert out["reasons"] == ["nightscout_auth"], out
    assert out["shown"] == "127.0.0.1:%d &mdash; failing: HTTP 401: the API secret or token was refused" % srv.port, out
