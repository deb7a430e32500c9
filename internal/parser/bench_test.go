package parser

import "testing"

func BenchmarkAppendPacket(b *testing.B) {
	p := &Packet{Type: Event, Namespace: "/chat", ID: 42, HasID: true, Data: []byte(`["message",{"user":"alice","text":"hello world"}]`)}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPacket(buf[:0], p)
	}
	b.SetBytes(int64(len(buf)))
}

func benchmarkDecode(b *testing.B, msg string) {
	m := []byte(msg)
	var d Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(m)))
	for b.Loop() {
		if _, err := d.Add(m, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	benchmarkDecode(b, `2["message",{"user":"alice","text":"hello world"}]`)
}

func BenchmarkDecodeEventNamespaceAck(b *testing.B) {
	benchmarkDecode(b, `2/chat,42["message",{"user":"alice","text":"hello world","tags":["a","b"],"n":12.5}]`)
}

func BenchmarkDecodeBinaryEvent(b *testing.B) {
	m := []byte(`51-["upload",{"name":"f.bin","data":{"_placeholder":true,"num":0}}]`)
	att := make([]byte, 1024)
	var d Decoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Add(m, false); err != nil {
			b.Fatal(err)
		}
		if p, err := d.Add(att, true); err != nil || p == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendValue(b *testing.B) {
	var v any = []any{"message", map[string]any{"user": "alice", "text": "hello world"}} // already boxed, as args are
	buf := make([]byte, 0, 256)
	atts := make([][]byte, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		buf, atts, _ = AppendValue(buf[:0], v, atts[:0])
	}
}

func BenchmarkDecodeAny(b *testing.B) {
	raw := []byte(`["message",{"user":"alice","text":"hello world"}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeAny(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitArrayEventName(b *testing.B) {
	raw := []byte(`["message",{"user":"alice","text":"hello world"}]`)
	b.ReportAllocs()
	for b.Loop() {
		elems, err := SplitArray(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := EventName(elems[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRejectDeepNesting(b *testing.B) {
	benchmarkDecodeErr(b, `2["a",`+nest("[", "]", 10000, "")+`]`)
}

func benchmarkDecodeErr(b *testing.B, msg string) {
	m := []byte(msg)
	var d Decoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Add(m, false); err == nil {
			b.Fatal("accepted")
		}
	}
}
