#!/usr/bin/python3
"""Runs a GStreamer pipeline (gst-launch syntax) to end of stream, like gst-launch-1.0 -e, for tests
that make their inputs with GStreamer. When an element is named "pay", prints the caps of its source
pad once the stream ends (an RTP payloader's caps carry the SDP fmtp, e.g. config=).

Run with Debian's /usr/bin/python3 (python3-gi and the GStreamer plugins): the test bounds it in time.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)
pipeline = Gst.parse_launch(sys.argv[1])
pipeline.set_state(Gst.State.PLAYING)
message = pipeline.get_bus().timed_pop_filtered(
    Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR
)
pay = pipeline.get_by_name("pay")
if pay is not None:
    caps = pay.get_static_pad("src").get_current_caps()
    print(caps.to_string() if caps else "")
pipeline.set_state(Gst.State.NULL)
if message.type == Gst.MessageType.ERROR:
    error, debug = message.parse_error()
    print(f"{error.message}: {debug}", file=sys.stderr)
    sys.exit(1)
