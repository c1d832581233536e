#!/usr/bin/python3
"""Command-to-sound latency of `tensorhaus live`, measured in its own recording (issue 6).

Plays sessions/acid.toml on a private scsynth (dummy JACK) with --record, solos the drums, then
for each quantization (now, beat, bar) toggles `mute drums` over OSC: silence, then the drums
again. For every un-mute the command's arrival (FILE.commands.jsonl), the first drum event the
set played after it (FILE.events.jsonl, which logs what passed the mute) and the first onset
heard in the recording after it are compared, all on the set's clock:

  command→sound  = heard − arrival   (what the performer experiences)
  wait           = scheduled − arrival (lookahead + the quantum's boundary + the next drum hit)
  heard−scheduled: how far the recording is from the schedule (should be ~0)

The recording is put on the set's clock by its first sound: the recording starts before the
set, whose first event is at 0 s. Usage: bench_latency.py TENSORHAUS_BIN OUT_DIR [--analyze]
(--analyze: only read the recording and logs a previous run left in OUT_DIR).
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import wave

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPO = 138.0  # sessions/acid.toml
BEAT = 60.0 / TEMPO
CYCLES = 8  # un-mutes per quantization
QUANTS = [("now", 0.0), ("beat", BEAT), ("bar", 4 * BEAT)]


def osc(address, *args):
    def pad(b):
        return b + b"\0" * (4 - len(b) % 4)

    tags = "," + "".join("i" if isinstance(a, int) else "s" for a in args)
    out = pad(address.encode()) + pad(tags.encode())
    for a in args:
        out += struct.pack(">i", a) if isinstance(a, int) else pad(a.encode())
    return out


def osc_strings(packet):
    """The address and string arguments of a reply (enough for /th/ok and /th/error)."""
    parts = [p for p in packet.split(b"\0") if p]
    return [p.decode(errors="replace") for p in parts if not p.startswith(b",")]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def onsets(env, rate, floor):
    """Times of the frames whose level jumps 8x above the 50 ms before them (one per 20 ms)."""
    out = []
    for i in range(50, len(env)):
        if env[i] > floor and env[i] > 8 * env[i - 50:i].max() and (
                not out or i / rate - out[-1] > 0.02):
            out.append(i / rate)
    return np.array(out)


def main():
    binary, out = sys.argv[1], os.path.abspath(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    wav = os.path.join(out, "latency.wav")
    if "--analyze" not in sys.argv:
        play(binary, wav, out)
    analyze(wav)


def play(binary, wav, out):
    control, server = free_port(), free_port()
    proc = subprocess.Popen(
        [binary, "live", "sessions/acid.toml", "--boot-scsynth", "--scsynth",
         f"127.0.0.1:{server}", "--control-port", str(control), "--record", wav],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(out, "latency_live.txt"), "w"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)

    def ask(*words):
        sock.sendto(osc("/th/" + words[0], *words[1:]), ("127.0.0.1", control))
        try:
            return osc_strings(sock.recv(4096))
        except socket.timeout:
            return None

    try:
        deadline = time.time() + 180
        while ask("status") is None:
            if time.time() > deadline or proc.poll() is not None:
                sys.exit("bench_latency: the live set never answered (see latency_live.txt)")
        assert ask("solo", "drums")[0] == "/th/ok"
        time.sleep(3)
        for q, span in QUANTS:
            assert ask("quant", q)[0] == "/th/ok"
            for i in range(CYCLES):
                # Each toggle lands on its own boundary, with ~1 s of silence between; the
                # sends drift against the beat so arrivals fall at every phase of it.
                assert ask("mute", "drums")[0] == "/th/ok"
                time.sleep(span + 1.0 + 0.137 * i)
                assert ask("mute", "drums")[0] == "/th/ok"
                time.sleep(span + 1.0)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


def analyze(wav):
    stem = os.path.splitext(wav)[0]
    events = [json.loads(l) for l in open(stem + ".events.jsonl")]
    commands = [json.loads(l) for l in open(stem + ".commands.jsonl")]
    drums = sorted(e["seconds"] for e in events if e["instrument"] in
                   ("kick", "snare", "clap", "hat", "open_hat", "rim"))
    with wave.open(wav) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
        x = np.abs(x.reshape(-1, w.getnchannels())).max(axis=1) / 32768.0
    # Level per 1 ms frame, and the set's clock: the first sound is the set's first event.
    env_rate = 1000
    n = len(x) // (rate // env_rate)
    env = x[:n * (rate // env_rate)].reshape(n, -1).max(axis=1)
    floor = 10 ** (-45 / 20)
    first = np.argmax(env > floor) / env_rate
    start = first - min(e["seconds"] for e in events)
    hits = onsets(env, env_rate, floor)
    # Each scheduled drum hit's distance to the nearest onset heard, with the recording put on
    # the set's clock by its first sound. That map is not one line: the dummy JACK driver's
    # sample clock wanders against the host's (steps of ~10 ms, tens of ms over a minute, seen
    # in the hits' residuals), so each un-mute is timed against the hits around it (a local
    # median offset).
    residual = {}
    for s in drums:
        k = np.searchsorted(hits, start + s)
        near = [hits[j] for j in (k - 1, k) if 0 <= j < len(hits)]
        if near:
            o = min(near, key=lambda h: abs(h - start - s))
            if abs(o - start - s) < 0.05:
                residual[s] = o - start - s

    rows = {q: [] for q, _ in QUANTS}
    quant = None
    muted = False
    for c in commands:
        if c["command"].startswith("quant "):
            quant = c["command"].split()[1]
        if c["command"] != "mute drums" or quant is None:
            continue
        muted = not muted
        if muted:
            continue
        t = c["seconds"]
        scheduled = next(s for s in drums if s > t)
        local = np.median([r for s, r in residual.items() if abs(s - t) < 4 and s != scheduled])
        k = np.searchsorted(hits, start + local + t)
        heard = hits[k] - start - local if k < len(hits) else None
        rows[quant].append((t, scheduled, heard))

    steps = np.diff([np.median([r for s, r in residual.items() if t0 <= s < t0 + 5] or [np.nan])
                     for t0 in range(0, int(max(drums)), 5)])
    print(f"calibration: {len(residual)} of {len(drums)} drum hits found; the recording's offset "
          f"to the set clock moved by {np.nansum(np.abs(steps)) * 1000:.1f} ms over the set "
          f"(the dummy JACK server's sample clock against the host's)")
    print(f"tempo {TEMPO} BPM (beat {BEAT * 1000:.1f} ms, bar {4 * BEAT * 1000:.1f} ms), "
          f"lookahead 50 ms, {CYCLES} un-mutes per quantization; recording {len(x) / rate:.1f} s")
    print("quant | command→sound ms: min / mean / max | wait (scheduled−arrival) mean | "
          "heard−scheduled ms: median / worst | missed")
    summary = {}
    for q, _ in QUANTS:
        r = rows[q]
        heard = [(h - t) * 1000 for t, s, h in r if h is not None]
        wait = [(s - t) * 1000 for t, s, h in r]
        off = [abs(h - s) * 1000 for t, s, h in r if h is not None]
        missed = sum(h is None for _, _, h in r)
        print(f"{q:5} | {min(heard):7.1f} / {np.mean(heard):7.1f} / {max(heard):7.1f} | "
              f"{np.mean(wait):7.1f} | {np.median(off):5.1f} / {max(off):5.1f} | {missed}")
        summary[q] = {"heard_ms": heard, "wait_ms": wait, "worst_offset_ms": max(off),
                      "missed": missed}
    json.dump(summary, open(stem + ".json", "w"), indent=1)


if __name__ == "__main__":
    main()
