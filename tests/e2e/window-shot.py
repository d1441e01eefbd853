#!/usr/bin/python3
"""Saves what the X server shows of Heron's main window as a PNG, for the end-to-end
suite and the list benchmark.

WebDriver's own screenshot command never answers when WebKit paints without GL
compositing (Heron's default where there is no GPU), and the session is unusable after
it; the X server's copy of the window works in every painting mode and is exactly what
a user would see.

Usage: window-shot.py OUT.png
"""
import re
import subprocess
import sys

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("GdkX11", "3.0")
from gi.repository import Gdk, GdkX11  # noqa: E402

# The main window's title is "Heron", or "Heron (N)" with N unread.
MAIN_TITLE = re.compile(r"^Heron( \(\d+\))?$")


def main_window():
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Heron"],
                           capture_output=True, text=True, check=False).stdout.split()
    for xid in found:
        name = subprocess.run(["xdotool", "getwindowname", xid],
                              capture_output=True, text=True, check=False).stdout.strip()
        if MAIN_TITLE.match(name):
            return int(xid)
    sys.exit(f"window-shot: no visible window titled Heron among {found}")


display = Gdk.Display.get_default()
if display is None:
    sys.exit("window-shot: cannot open the X display (is DISPLAY set?)")
window = GdkX11.X11Window.foreign_new_for_display(display, main_window())
pixbuf = Gdk.pixbuf_get_from_window(window, 0, 0, window.get_width(), window.get_height())
if pixbuf is None:
    sys.exit("window-shot: the X server gave no image of the window")
pixbuf.savev(sys.argv[1], "png", [], [])
