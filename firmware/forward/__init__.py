# Wi-Fi forwarding: network keeper, Nightscout upload queue and uploader,
# MQTT for Home Assistant, LAN read API. Everything here is optional and
# never on the alarm path: forwarders take readings through non-blocking
# submit()/publish_*() calls and report failures through an injected
# on_condition(kind="forwarding", name=reason, active=bool) callback.


class ConfigError(ValueError):
    """A forwarding configuration value is missing or wrong; the message names the key."""


def need(cfg, key, kind, where, default=None, required=True):
    """cfg[key] checked against kind (a type or tuple of types); raises ConfigError."""
    if not isinstance(cfg, dict):
        raise ConfigError("%s: expected a dict, got %r" % (where, type(cfg).__name__))
    if key not in cfg or cfg[key] is None:
        if required:
            raise ConfigError("%s.%s: missing" % (where, key))
        return default
    v = cfg[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(v, bool) and int in kinds and bool not in kinds:   # true is no 1 s
        raise ConfigError("%s.%s: expected %s, got bool" % (where, key, "int" if kind is int else "a number"))
    if not isinstance(v, kind):
        raise ConfigError("%s.%s: wrong type %s" % (where, key, type(v).__name__))
    return v


def log_print(msg):
    print("[forward]", msg)
