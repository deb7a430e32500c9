package msgpack

import "github.com/gosio/sio/parser"

// Parser is the msgpack [parser.Parser]. The zero value is ready to use;
// it is safe for concurrent use.
type Parser struct {
	// MaxDepth bounds the nesting of arrays and maps in a payload, the top
	// array of an EVENT counting as one level. Zero means 32, as for the
	// JSON parser.
	MaxDepth int
	// MaxBinaries bounds the number of bin values in one packet. Zero
	// means 1000.
	MaxBinaries int
}

var _ parser.BinaryAppender = Parser{}

// Encode implements [parser.Parser]: it appends one binary message.
func (Parser) Encode(msgs []parser.Message, p *parser.Packet) ([]parser.Message, error) {
	b, err := AppendPacket(make([]byte, 0, sizeHint(p)), p)
	if err != nil {
		return msgs, err
	}
	return append(msgs, parser.Message{Data: b, Binary: true}), nil
}

// AppendBinary implements [parser.BinaryAppender]: it is [AppendPacket].
func (Parser) AppendBinary(dst []byte, p *parser.Packet) ([]byte, error) {
	return AppendPacket(dst, p)
}

// sizeHint returns about how many bytes the msgpack form of p takes: the
// JSON payload's size plus the attachments' and the fields'. Integers and
// escapes make the msgpack shorter, short strings a little longer.
func sizeHint(p *parser.Packet) int {
	n := len(p.Data) + len(p.Namespace) + 32
	for _, a := range p.Attachments {
		n += len(a) + 5
	}
	return n
}

// NewDecoder implements [parser.Parser].
func (p Parser) NewDecoder() parser.Decoder {
	d := &decoder{maxDepth: p.MaxDepth, maxBinaries: p.MaxBinaries}
	if d.maxDepth <= 0 {
		d.maxDepth = defaultMaxDepth
	}
	if d.maxBinaries <= 0 {
		d.maxBinaries = defaultMaxBinaries
	}
	return d
}
