package engine

import (
	"bytes"
	"testing"
)

var sinkPacket *Packet

func BenchmarkNewMessage(b *testing.B) {
	data := bytes.Repeat([]byte("m"), 100)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sinkPacket = NewPacket(PacketMessage, data)
	}
}

func BenchmarkNewMessageFromBuffer(b *testing.B) {
	data := bytes.Repeat([]byte("m"), 100)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		buf := NewMessageBuffer(len(data))
		buf = append(buf, data...)
		sinkPacket = NewMessageFromBuffer(buf)
	}
}

// benchPackets returns 10 packets: 8 text messages of 100 bytes and 2
// binary messages of 100 bytes.
func benchPackets() []*Packet {
	data := bytes.Repeat([]byte("m"), 100)
	pkts := make([]*Packet, 0, 10)
	for i := 0; i < 8; i++ {
		pkts = append(pkts, NewPacket(PacketMessage, data))
	}
	return append(pkts, NewBinaryMessage(data), NewBinaryMessage(data))
}

func BenchmarkEncodePayload(b *testing.B) {
	pkts := benchPackets()
	dst := encodePayload(nil, pkts)
	b.ReportAllocs()
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		dst = encodePayload(dst[:0], pkts)
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	payload := encodePayload(nil, benchPackets())
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		n := 0
		if err := decodePayload(payload, func(PacketType, []byte, bool) bool {
			n++
			return true
		}); err != nil || n != 10 {
			b.Fatalf("decoded %d packets: %v", n, err)
		}
	}
}
