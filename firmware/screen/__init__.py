# The optional display (boards/<name>.json "display"): the newest reading, its
# trend and age, and the alarm in words. view.py says what, draw.py lays it
# out, oled.py drives the panel, run.py is the task that keeps it current.
