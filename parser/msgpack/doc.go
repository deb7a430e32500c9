// Package msgpack is a [parser.Parser] wire-compatible with
// socket.io-msgpack-parser 3.0.x, the parser a Node server takes with
// new Server({parser}) and a client with io(url, {parser}):
//
//	srv := socketio.NewServer(&socketio.Options{Parser: msgpack.Parser{}})
//
// Every packet travels as one binary Engine.IO message holding one
// msgpack map with the keys "type" (0-4), "nsp", "data" and "id" (when
// there is one). Binary values are msgpack bin values wherever they stand
// in the arguments: there are no attachments and no BINARY_EVENT or
// BINARY_ACK types.
//
// # Encoding
//
// The encoder writes what notepack.io 2.2 (the msgpack library
// socket.io-msgpack-parser 3.0.x depends on) writes for the same
// JavaScript value, so that a packet is byte for byte the one a Node
// server sends, up to the order of the packet's keys in a few cases: the
// keys in the order the Node server creates them, object keys in their
// order (a Go map's sorted, as encoding/json sorts them), integral numbers
// in the smallest integer type (unsigned when not negative, so 200 is
// uint 8, never int 16), any other number as float64 (never float32),
// strings as fixstr, str 8, 16 or 32, binary as bin 8, 16 or 32, and an
// absent id or data left out. One deliberate difference: an integral
// number beyond the 64-bit integer range is a float64 here, where notepack
// writes it modulo 2^64. Go values reach the encoder as the server encodes
// them to JSON, so a time.Time travels as its RFC 3339 string where a Node
// server would send a Date as notepack's date extension, and nothing is
// ever undefined (notepack's fixext 1 of type 0).
//
// # Decoding
//
// The decoder translates each packet into the server's JSON form
// ([parser.Packet]): a bin value becomes a placeholder referring to the
// bytes, which handlers decode into []byte as with the JSON parser, and
// arguments are then decoded into typed Go values exactly as with it.
// notepack's own extensions become what JSON.stringify makes of what
// notepack decodes: an ArrayBuffer (ext of type 0, what a browser client
// sends for an ArrayBuffer or a typed array) is binary like a bin; a Date
// (fixext 8 of type 0, or the msgpack timestamp extension) the string
// Date.toJSON makes, which decodes into a time.Time; undefined is null in
// an array and leaves out the member it is the value of (a CONNECT whose
// data is undefined has none); NaN and infinities are null; other
// extensions [type, <binary>].
//
// It refuses what socket.io-msgpack-parser refuses (a text message, a
// value that is not a map, a type other than an integer 0-4, a namespace
// that is not a string, data of the wrong shape for the type, an id that
// is not an integer, trailing bytes) and, like the JSON parser, payloads
// nesting deeper than MaxDepth, more than MaxBinaries binary values,
// negative or unsafe ack ids, namespaces not starting with "/", reserved
// event names and EVENTs without a name; and map keys other than strings,
// integers, booleans and nil. Decoding never panics, and its cost is
// linear in the message.
//
// # Cost
//
// Translating between msgpack and the JSON form is one pass each way, on
// top of the JSON work the server does anyway. A broadcast is translated
// once, whatever the number of recipients.
package msgpack
