#!/usr/bin/python3
"""The memory floor for the list benchmark: a bare WebKitGTK window of Heron's size,
painting as Heron paints, showing a screenful of mail-like rows in Latin and Chinese
text (so the same fonts are loaded) and nothing else: no app, no store, no script.
`bench-list.mjs` measures it beside Heron, in the same run.

Usage: bare-webview.py gpu|software   (prints "ready" once the page has loaded)
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

ROW = ("<div class=row><b>张敏 Lars Nielsen</b><span>Re: 年终总结与明年计划 — Release 3.0"
       " planning</span><small>Hi Bench, I have added the open questions 客户希望我们提供一份"
       "详细的实施方案和报价单。</small></div>")
PAGE = ("<!doctype html><meta charset=utf-8><style>body{font:14px sans-serif;margin:0}"
        ".row{height:64px;padding:4px 16px;border-bottom:1px solid #ddd;display:flex;"
        "flex-direction:column}</style>" + ROW * 14)

window = Gtk.Window(title="bare-webview")
window.set_default_size(1280, 800)
view = WebKit2.WebView()
if sys.argv[1:] == ["software"]:
    view.get_settings().set_hardware_acceleration_policy(
        WebKit2.HardwareAccelerationPolicy.NEVER)


def loaded(_view, event):
    if event == WebKit2.LoadEvent.FINISHED:
        print("ready", flush=True)


view.connect("load-changed", loaded)
view.load_html(PAGE, None)
window.add(view)
window.connect("destroy", Gtk.main_quit)
window.show_all()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, Gtk.main_quit)
Gtk.main()
