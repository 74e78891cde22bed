#!/usr/bin/python3
"""Runs a GStreamer pipeline (gst-launch syntax) to end of stream, like gst-launch-1.0 -e, for tests
that make their inputs with GStreamer. When an element is named "pay", prints the caps of its source
pad once the stream ends (an RTP payloader's caps carry the SDP fmtp, e.g. config=).

An rtspclientsink named "sink" can lose its end of stream in GStreamer 1.22: on EOS each rtpsession
schedules its RTCP BYE, and its RTCP thread may send the BYE before the EOS event has returned on
send_rtp_sink, while that pad is not yet flagged EOS. gst_rtp_session_send_rtcp then forwards no EOS
on the RTCP source, that RTCP sink never posts EOS, and the pipeline's EOS never comes, although every
packet and every BYE were sent. So once every input of the sink has had EOS, the run ends (with
TEARDOWN, as it does after EOS) if the pipeline's EOS does not follow within BYE_GRACE_SECONDS (it
follows within milliseconds otherwise), and says so on stderr.

Run with Debian's /usr/bin/python3 (python3-gi and the GStreamer plugins): the test bounds it in time.
"""
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

BYE_GRACE_SECONDS = 3.0

Gst.init(None)
pipeline = Gst.parse_launch(sys.argv[1])
sink = pipeline.get_by_name("sink")
watched = sink if sink is not None and sink.get_factory().get_name() == "rtspclientsink" else None
inputs_open = set(pad.get_name() for pad in watched.sinkpads) if watched else set()
inputs_ended_at = []


def on_event(pad, info):
    if info.get_event().type == Gst.EventType.EOS:
        inputs_open.discard(pad.get_name())
        if not inputs_open and not inputs_ended_at:
            inputs_ended_at.append(time.monotonic())
    return Gst.PadProbeReturn.OK


if watched:
    for pad in watched.sinkpads:
        pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)

pipeline.set_state(Gst.State.PLAYING)
bus = pipeline.get_bus()
kinds = Gst.MessageType.EOS | Gst.MessageType.ERROR
while True:
    message = bus.timed_pop_filtered(100 * Gst.MSECOND if watched else Gst.CLOCK_TIME_NONE, kinds)
    if message is not None:
        break
    if inputs_ended_at and time.monotonic() - inputs_ended_at[0] > BYE_GRACE_SECONDS:
        print("rtspclientsink: every input ended but the pipeline's EOS did not follow (rtpsession BYE race)",
              file=sys.stderr)
        break
pay = pipeline.get_by_name("pay")
if pay is not None:
    caps = pay.get_static_pad("src").get_current_caps()
    print(caps.to_string() if caps else "")
pipeline.set_state(Gst.State.NULL)
if message is not None and message.type == Gst.MessageType.ERROR:
    error, debug = message.parse_error()
    print(f"{error.message}: {debug}", file=sys.stderr)
    sys.exit(1)
