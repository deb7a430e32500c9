package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gosio/sio/parser"
	"github.com/gosio/sio/parser/msgpack"
)

// wireMsgpack is set by -msgpack: Socket.IO packets travel as binary
// websocket messages in socket.io-msgpack-parser's format instead of text.
// Engine.IO's own packets (open, ping, pong, close) stay text either way.
var wireMsgpack bool

// toMsgpack appends to dst the msgpack form of pkt, a Socket.IO packet on
// the main namespace in its text form without the Engine.IO '4':
// <type>[<ack id>][<JSON data>], as the scenarios build them.
func toMsgpack(dst, pkt []byte) ([]byte, error) {
	if len(pkt) == 0 || pkt[0] < '0' || pkt[0] > '6' {
		return dst, fmt.Errorf("not a Socket.IO packet: %q", trunc(pkt))
	}
	p := parser.Packet{Type: parser.Type(pkt[0] - '0'), Namespace: "/"}
	i := 1
	for i < len(pkt) && '0' <= pkt[i] && pkt[i] <= '9' {
		i++
	}
	if i > 1 {
		id, err := strconv.ParseUint(string(pkt[1:i]), 10, 64)
		if err != nil {
			return dst, err
		}
		p.ID, p.HasID = id, true
	}
	if i < len(pkt) {
		p.Data = pkt[i:]
	}
	n := len(dst)
	dst, err := msgpack.AppendPacket(dst, &p)
	if err == nil && len(dst) == n {
		err = errors.New("msgpack: nothing encoded")
	}
	return dst, err
}

// fromMsgpack decodes msg, one binary message of a msgpack server, with dec
// and appends to dst[:0] the packet's text form as toMsgpack reads it
// (the data as the JSON the decoder translates it to), so that the
// scenarios check it as they check a JSON server's packets.
func fromMsgpack(dec parser.Decoder, dst, msg []byte) ([]byte, error) {
	p, err := dec.Add(msg, true)
	if err != nil {
		return dst[:0], err
	}
	if p == nil || p.Namespace != "/" || len(p.Attachments) > 0 {
		return dst[:0], fmt.Errorf("unexpected msgpack packet of %d bytes", len(msg))
	}
	dst = append(dst[:0], '0'+byte(p.Type))
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
	}
	return append(dst, p.Data...), nil
}
