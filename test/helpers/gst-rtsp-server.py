#!/usr/bin/python3
"""A small GStreamer RTSP server for the RTSP puller tests: serves a live H.264 (or H.265) + AAC
test pattern, or the same muxed in MPEG-TS (RTP payload type 33), optionally behind Basic or Digest
credentials. Prints "ready" on stdout once it listens; stop it by PID (SIGTERM).

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0, GStreamer plugins).
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

VIDEO = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 ! "
)
ENCODERS = {
    # B-frames (reordering) on purpose: the puller must derive decode timestamps.
    "h264": "x264enc speed-preset=veryfast bframes=2 b-adapt=false key-int-max=25 threads=1 ! video/x-h264,profile=main ! ",
    "h265": "x265enc speed-preset=ultrafast key-int-max=25 option-string=bframes=2 ! ",
}
AUDIO = "audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=48000,channels=2 ! avenc_aac ! "


def pipeline(codec: str, mp2t: bool) -> str:
    encoder = ENCODERS[codec]
    payloader = "rtph264pay" if codec == "h264" else "rtph265pay"
    parser = "h264parse" if codec == "h264" else "h265parse"
    if mp2t:
        return (
            f"( {VIDEO}{encoder}{parser} ! mpegtsmux name=mux ! rtpmp2tpay name=pay0 pt=33 "
            f"{AUDIO}aacparse ! mux. )"
        )
    return (
        f"( {VIDEO}{encoder}{payloader} name=pay0 pt=96 config-interval=-1 "
        f"{AUDIO}rtpmp4gpay name=pay1 pt=97 )"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/test")
    parser.add_argument("--codec", choices=["h264", "h265"], default="h264")
    parser.add_argument("--mp2t", action="store_true")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--auth", choices=["basic", "digest"], default="digest")
    parser.add_argument("--session-timeout", type=int, default=0, help="seconds; 0 keeps GStreamer's 60")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline(args.codec, args.mp2t))
    factory.set_shared(True)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", args.user)
        if args.auth == "basic":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password, token)
        server.set_auth(auth)
        factory.add_role_from_structure(
            Gst.Structure.new_from_string(
                f"{args.user}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )
        )
    if args.session_timeout:
        server.connect(
            "client-connected",
            lambda _server, client: client.connect(
                "new-session", lambda _client, session: session.set_timeout(args.session_timeout)
            ),
        )
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        sys.exit(1)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
