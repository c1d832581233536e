// TensorHaus: a client for `tensorhaus live`'s OSC command port (docs/live.md).
// One method per command of the live grammar; each sends /th/<command> with its arguments to
// the engine, which answers the sender with /th/ok <command> or /th/error <command> <message>
// (a status is answered /th/ok status <the state line>). Replies are posted in the post window
// and passed to the optional onReply function ({ |ok, command, message| ... }; message: the
// error, or the state for a status). Arguments are checked here only for their type; the
// engine validates ranges and names and explains a refusal in its /th/error reply.
TensorHaus {
	var <addr, <>onReply, <>postReplies = true, <lastReply, okFunc, errorFunc;

	*new { |host = "127.0.0.1", port = 57150|
		^super.new.init(host, port)
	}

	init { |host, port|
		addr = NetAddr(host, port);
		// Replies come from the engine's command port: only those are ours.
		okFunc = OSCFunc({ |msg|
			this.prReply(true, msg[1].asString, if(msg.size > 2) { msg[2].asString } { "" })
		}, '/th/ok', addr);
		errorFunc = OSCFunc({ |msg|
			this.prReply(false, msg[1].asString, msg[2].asString)
		}, '/th/error', addr);
	}

	// Stops listening for replies.
	free {
		okFunc.free;
		errorFunc.free;
	}

	// --- the commands (docs/live.md) ---

	// Walk one layer: N >= 0, below the model's layer count.
	layer { |n| this.send(\layer, n.asInteger) }
	// Walk layers a..b.
	layers { |a, b| this.send(\layers, a.asInteger, b.asInteger) }
	// Sing this prompt (any text, spaces included).
	prompt { |text| this.send(\prompt, text.asString) }
	// Jump to a section of the session.
	section { |name| this.send(\section, name.asString) }
	// Switch the genre pattern.
	pattern { |name| this.send(\pattern, name.asString) }
	// Change the tempo (20..400 BPM) at the quantum.
	tempo { |bpm| this.send(\tempo, bpm.asFloat) }
	// Mute (again: unmute) an instrument or a stem group.
	mute { |name| this.send(\mute, name.asString) }
	// Solo (again: unsolo) an instrument or a stem group.
	solo { |name| this.send(\solo, name.asString) }
	// Switch to another model folder (loaded in the background).
	model { |dir| this.send(\model, dir.asString) }
	// Re-read the session and recompose.
	reload { this.send(\reload) }
	// When changes take effect: \now, \beat, \bar or a whole number of beats.
	quant { |q|
		if(q.isNumber) { this.send(\quant, q.asInteger) } { this.send(\quant, q.asString) }
	}
	// Ask for the state: the reply carries the status line (beat, tempo, section, notes, …).
	status { this.send(\status) }
	// Release every voice; the set goes on.
	panic { this.send(\panic) }

	// Any command by name, with its arguments as the engine expects them.
	send { |command ... args|
		addr.sendMsg(("/th/" ++ command).asSymbol, *args);
	}

	prReply { |ok, command, message|
		lastReply = [ok, command, message];
		if(postReplies) {
			if(ok) {
				if(message.isEmpty) {
					"TensorHaus: ok %".format(command).postln
				} {
					"TensorHaus: % | %".format(command, message).postln
				}
			} {
				// The engine's messages mostly start with the command already.
				if(message.beginsWith(command ++ ":").not) { message = command ++ ": " ++ message };
				"TensorHaus: error: %".format(message).postln
			}
		};
		onReply.value(ok, command, message);
	}
}
