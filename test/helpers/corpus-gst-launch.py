#!/usr/bin/python3
"""gst-launch-1.0 for the acceptance corpus: runs one GStreamer pipeline description to its end.

The GStreamer 1.22 plugins are installed but not the gst-launch-1.0 tool, so the corpus runs its
pipelines through the Python bindings. Usage: corpus-gst-launch.py '<pipeline>'. Exits 0 at
end-of-stream, 1 with the element's message on an error. Run with Debian's /usr/bin/python3
(python3-gi).
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def main() -> int:
    Gst.init(None)
    pipeline = Gst.parse_launch(sys.argv[1])
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR
    )
    pipeline.set_state(Gst.State.NULL)
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        print(f"{error.message} ({debug})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
