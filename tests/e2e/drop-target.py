#!/usr/bin/python3
"""A place to drop files on, for the end-to-end suite: a plain GTK window, as a file
manager's, that accepts dragged files (text/uri-list) and writes what it received to a
JSON file: for each dropped file its URI, name, size and SHA-256.

Usage: drop-target.py OUT.json X Y  (the window's position on the screen)
"""
import hashlib
import json
import sys
import urllib.parse

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

out, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def received(_widget, _context, _x, _y, data, _info, _time):
    files = []
    for uri in data.get_uris():
        path = urllib.parse.unquote(urllib.parse.urlparse(uri).path)
        with open(path, "rb") as f:
            body = f.read()
        files.append({"uri": uri, "name": path.rsplit("/", 1)[-1], "size": len(body),
                      "sha256": hashlib.sha256(body).hexdigest()})
    with open(out + ".tmp", "w") as f:
        json.dump(files, f)
    import os
    os.replace(out + ".tmp", out)


window = Gtk.Window(title="heron-drop-target")
window.set_default_size(260, 220)
window.move(x, y)
label = Gtk.Label(label="Drop here")
window.add(label)
window.drag_dest_set(Gtk.DestDefaults.ALL, [], Gdk.DragAction.COPY)
window.drag_dest_add_uri_targets()
window.connect("drag-data-received", received)
window.connect("destroy", Gtk.main_quit)
window.show_all()
print("ready", flush=True)
Gtk.main()
