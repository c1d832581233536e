#!/usr/bin/python3
"""Independent reader for the MIDI writer tests: parses a .mid with mido and prints one line
per fact, with absolute ticks. Run with /usr/bin/python3 (python3-mido)."""
import sys
import mido

mid = mido.MidiFile(sys.argv[1])
print("header", mid.type, len(mid.tracks), mid.ticks_per_beat)
for ti, track in enumerate(mid.tracks):
    t = 0
    sounding = {}
    for msg in track:
        t += msg.time
        if msg.type == "track_name":
            print("track", ti, msg.name)
        elif msg.type == "set_tempo":
            print("tempo", t, msg.tempo)
        elif msg.type == "time_signature":
            print("timesig", t, msg.numerator, msg.denominator)
        elif msg.type == "marker":
            print("marker", t, msg.text)
        elif msg.type == "program_change":
            print("program", ti, msg.channel, msg.program)
        elif msg.type == "control_change":
            print("cc", ti, t, msg.channel, msg.control, msg.value)
        elif msg.type == "note_on" and msg.velocity > 0:
            sounding[(msg.channel, msg.note)] = (t, msg.velocity)
        elif msg.type in ("note_off", "note_on"):
            on, vel = sounding.pop((msg.channel, msg.note))
            print("note", ti, msg.channel, msg.note, vel, on, t)
    if sounding:
        print("stuck", ti, len(sounding))
