# The box's setup: its own access point (ap) and the setup/status web page
# (form: pure form <-> config mapping, page: HTML, web: the microdot server).
