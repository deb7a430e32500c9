package msgpack

import (
	"testing"

	"github.com/gosio/sio/parser"
)

var benchPacket = &parser.Packet{
	Type:      parser.BinaryEvent,
	Namespace: "/chat",
	Data:      []byte(`["message",{"user":"alice","text":"hello, world","ts":1733500000000,"tags":["a","b"],"score":0.75},{"_placeholder":true,"num":0}]`),
	Attachments: [][]byte{
		make([]byte, 256),
	},
}

// BenchmarkAppendPacket measures the translation of a packet from the
// server's JSON form to msgpack (once per emit, once per broadcast).
func BenchmarkAppendPacket(b *testing.B) {
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendPacket(buf[:0], benchPacket); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkDecode measures the translation of a received packet to the
// server's JSON form, with the payload checks.
func BenchmarkDecode(b *testing.B) {
	msg, err := AppendPacket(nil, benchPacket)
	if err != nil {
		b.Fatal(err)
	}
	d := Parser{}.NewDecoder()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Add(msg, true); err != nil {
			b.Fatal(err)
		}
	}
}

// smallPacket is the shape of the load generator's messages: an event
// name and one 100-byte string.
var smallPacket = &parser.Packet{
	Type:      parser.Event,
	Namespace: "/",
	Data:      []byte(`["msg","a12:1733500000000000000:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]`),
}

// BenchmarkAppendPacketSmall is BenchmarkAppendPacket for smallPacket.
func BenchmarkAppendPacketSmall(b *testing.B) {
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendPacket(buf[:0], smallPacket); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkDecodeSmall is BenchmarkDecode for smallPacket.
func BenchmarkDecodeSmall(b *testing.B) {
	msg, err := AppendPacket(nil, smallPacket)
	if err != nil {
		b.Fatal(err)
	}
	d := Parser{}.NewDecoder()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Add(msg, true); err != nil {
			b.Fatal(err)
		}
	}
}
