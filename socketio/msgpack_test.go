package socketio_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/parser"
	"github.com/gosio/sio/parser/msgpack"
	"github.com/gosio/sio/socketio"
)

// countingParser is msgpack.Parser that counts the packets it encodes: a
// parser of one's own, plugged in through the public interface, that
// implements only parser.Parser.
type countingParser struct {
	mp      msgpack.Parser
	encoded *atomic.Int64
}

func (p countingParser) Encode(msgs []parser.Message, pkt *parser.Packet) ([]parser.Message, error) {
	p.encoded.Add(1)
	return p.mp.Encode(msgs, pkt)
}

func (p countingParser) NewDecoder() parser.Decoder { return p.mp.NewDecoder() }

// countingAppender is countingParser that is a parser.BinaryAppender too,
// as msgpack.Parser is: the server encodes with AppendBinary.
type countingAppender struct{ countingParser }

func (p countingAppender) AppendBinary(dst []byte, pkt *parser.Packet) ([]byte, error) {
	p.encoded.Add(1)
	return p.mp.AppendBinary(dst, pkt)
}

// mpClient is a raw client speaking msgpack over testkit.
type mpClient struct {
	*testkit.Client
	dec parser.Decoder
}

func (c *mpClient) send(t *testing.T, p *parser.Packet) {
	t.Helper()
	b, err := msgpack.AppendPacket(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	c.MustSendBinary(t, b)
}

func (c *mpClient) read(t *testing.T) (*parser.Packet, []byte) {
	t.Helper()
	b := c.MustReadBinary(t)
	p, err := c.dec.Add(slices.Clone(b), true)
	if err != nil || p == nil {
		t.Fatalf("decode % x: %v", b, err)
	}
	return p, b
}

// TestMsgpackParser drives a server with the msgpack parser (and
// connection-state recovery, whose offset every broadcast then carries as
// its last argument) with raw msgpack packets: CONNECT, an event with
// binary decoded into typed parameters and its binary ack, an EmitWithAck
// answered by the client with binary, and a broadcast that is encoded once
// for all its recipients and reaches them with the same bytes.
func TestMsgpackParser(t *testing.T) {
	for _, tc := range []struct {
		name, transport string
		appender        bool
	}{{"websocket", "websocket", true}, {"polling", "polling", true}, {"websocket/Encode", "websocket", false}} {
		transport := tc.transport
		t.Run(tc.name, func(t *testing.T) {
			var encoded atomic.Int64
			var codec parser.Parser = countingParser{encoded: &encoded}
			if tc.appender {
				codec = countingAppender{countingParser{encoded: &encoded}}
			}
			io := socketio.NewServer(&socketio.Options{
				Parser:                  codec,
				ConnectionStateRecovery: &socketio.ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute},
			})
			io.OnConnection(func(s *socketio.Socket) {
				s.On("typed", func(name string, data []byte, n int, ack socketio.Ack) {
					r := slices.Clone(data)
					slices.Reverse(r)
					_ = ack(name+"!", r, n+1)
				})
				s.On("join", func(room string, ack socketio.Ack) {
					_ = s.Join(room)
					_ = ack()
				})
				s.On("ask", func(ack socketio.Ack) {
					go func() {
						args, err := s.Timeout(3*time.Second).EmitWithAck(context.Background(), "q", []byte{5})
						var got []byte
						if err == nil {
							err = args.Decode(&got)
						}
						_ = ack(got, err == nil)
					}()
				})
			})
			ts := httptest.NewServer(io)
			t.Cleanup(func() {
				ts.CloseClientConnections()
				_ = io.Close()
				ts.Close()
			})
			dial := func() *mpClient {
				c := &mpClient{testkit.MustDial(t, ts.URL, &testkit.Options{Transport: transport}), msgpack.Parser{}.NewDecoder()}
				c.send(t, &parser.Packet{Type: parser.Connect, Namespace: "/"})
				p, _ := c.read(t)
				if p.Type != parser.Connect || !bytes.Contains(p.Data, []byte(`"sid"`)) || !bytes.Contains(p.Data, []byte(`"pid"`)) {
					t.Fatalf("CONNECT answer %v %s", p.Type, p.Data)
				}
				return c
			}
			a, b, c := dial(), dial(), dial()

			a.send(t, &parser.Packet{Type: parser.BinaryEvent, Namespace: "/", ID: 7, HasID: true,
				Data: []byte(`["typed","file",{"_placeholder":true,"num":0},41]`), Attachments: [][]byte{{1, 2, 3}}})
			p, _ := a.read(t)
			if p.Type != parser.BinaryAck || p.ID != 7 || string(p.Data) != `["file!",{"_placeholder":true,"num":0},42]` || !bytes.Equal(p.Attachments[0], []byte{3, 2, 1}) {
				t.Fatalf("ack: %v %d %s %v", p.Type, p.ID, p.Data, p.Attachments)
			}

			a.send(t, &parser.Packet{Type: parser.Event, Namespace: "/", ID: 8, HasID: true, Data: []byte(`["ask"]`)})
			q, _ := a.read(t)
			if q.Type != parser.BinaryEvent || !q.HasID || string(q.Data) != `["q",{"_placeholder":true,"num":0}]` {
				t.Fatalf("server's EmitWithAck: %v %s", q.Type, q.Data)
			}
			a.send(t, &parser.Packet{Type: parser.BinaryAck, Namespace: "/", ID: q.ID, HasID: true,
				Data: []byte(`[{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{6, 6}}})
			p, _ = a.read(t)
			if p.ID != 8 || string(p.Data) != `[{"_placeholder":true,"num":0},true]` || !bytes.Equal(p.Attachments[0], []byte{6, 6}) {
				t.Fatalf("ack of ask: %v %d %s %v", p.Type, p.ID, p.Data, p.Attachments)
			}

			for i, cl := range []*mpClient{a, b} {
				cl.send(t, &parser.Packet{Type: parser.Event, Namespace: "/", ID: uint64(i), HasID: true, Data: []byte(`["join","room"]`)})
				if p, _ := cl.read(t); p.Type != parser.Ack {
					t.Fatalf("join ack: %v", p.Type)
				}
			}
			before := encoded.Load()
			if err := io.To("room").Emit("news", "x", map[string]any{"bin": []byte{9}}); err != nil {
				t.Fatal(err)
			}
			pa, ba := a.read(t)
			_, bb := b.read(t)
			if n := encoded.Load() - before; n != 1 {
				t.Errorf("the broadcast was encoded %d times, want once", n)
			}
			if !bytes.Equal(ba, bb) {
				t.Errorf("recipients got different bytes:\n% x\n% x", ba, bb)
			}
			if pa.Type != parser.BinaryEvent || !bytes.HasPrefix(pa.Data, []byte(`["news","x",{"bin":{"_placeholder":true,"num":0}},"`)) || !bytes.Equal(pa.Attachments[0], []byte{9}) {
				t.Errorf("broadcast: %s (the offset must be the last argument)", pa.Data)
			}
			c.MustReadNothing(t, 50*time.Millisecond)
		})
	}
}

// A client using the JSON parser is disconnected at its first packet by a
// server with the msgpack parser.
func TestMsgpackParserRefusesText(t *testing.T) {
	io := socketio.NewServer(&socketio.Options{Parser: msgpack.Parser{}})
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustSend(t, "40")
	_ = c.MustSeeClose(t, 3*time.Second)
}
