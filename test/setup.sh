#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine with Node 20+: the real peers the interop tests run
# (ffmpeg/ffprobe, mediainfo, srt-live-transmit, nginx with the RTMP module, GStreamer's RTSP server for python3,
# GStreamer's tools and its RTSP RECORD client rtspclientsink, VLC), systemd-analyze (checks the systemd unit) and the
# npm packages. Needs root for apt-get (uses sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
	ffmpeg mediainfo time
	srt-tools
	nginx libnginx-mod-rtmp
	python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
	gstreamer1.0-tools gstreamer1.0-rtsp
	vlc-bin vlc-plugin-base
	systemd
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Exactly the locked dependencies; npm's prepare step then builds dist/tapedeck.cjs.
npm ci --no-audit --no-fund --loglevel=error
