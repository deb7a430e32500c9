// Package parser defines how a socketio.Server turns Socket.IO packets into
// Engine.IO messages and back: the [Parser] that Options.Parser takes, the
// counterpart of the Node server's "parser" option. [JSON] is the default,
// the text format of socket.io-parser; the package
// github.com/gosio/sio/parser/msgpack speaks the format of
// socket.io-msgpack-parser.
//
// # The packet form
//
// Whatever the wire format, the server handles a packet in one form,
// [Packet]: its payload is JSON text, in which each binary value stands as
// a placeholder {"_placeholder":true,"num":N} that refers to
// Packet.Attachments[N], as in socket.io-parser. Handlers decode their
// arguments from that form into typed Go values, adapters carry it between
// servers, and connection-state recovery stores it. A Parser for another
// format translates between that form and its own messages: its encoder
// reads the JSON text and writes its format, and its decoder does the
// reverse.
//
// # Why a package of its own
//
// The interface lives in this small leaf package, not in socketio, so that
// a codec depends only on it (and on nothing above it, as the adapters
// depend only on package adapter): a codec cannot reach into the server,
// and the server does not import the codecs it is not given.
package parser
