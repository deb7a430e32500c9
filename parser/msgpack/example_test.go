package msgpack_test

import (
	"fmt"
	"net/http"

	"github.com/gosio/sio/parser"
	"github.com/gosio/sio/parser/msgpack"
	"github.com/gosio/sio/socketio"
)

// A server for clients made with io(url, {parser}) of
// socket.io-msgpack-parser: handlers are written as for the JSON parser.
func Example() {
	io := socketio.NewServer(&socketio.Options{Parser: msgpack.Parser{}})
	io.OnConnection(func(s *socketio.Socket) {
		s.On("upload", func(name string, data []byte, ack socketio.Ack) {
			_ = ack(map[string]any{"name": name, "size": len(data)})
		})
	})
	http.Handle("/socket.io/", io)
	// Serve the client bundle that has the msgpack parser built in:
	// socketio.Options.ServeClient answers /socket.io/socket.io.msgpack.min.js.
	// http.ListenAndServe(":3000", nil)
}

// The bytes of an event as a Node server with socket.io-msgpack-parser
// sends them: the map {type, data, nsp}, binary data as a msgpack bin.
func ExampleAppendPacket() {
	b, err := msgpack.AppendPacket(nil, &parser.Packet{
		Type:        parser.BinaryEvent,
		Namespace:   "/",
		Data:        []byte(`["file",{"_placeholder":true,"num":0},200]`),
		Attachments: [][]byte{{0xca, 0xfe}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)
	// Output:
	// 83 a4 74 79 70 65 02 a4 64 61 74 61 93 a4 66 69 6c 65 c4 02 ca fe cc c8 a3 6e 73 70 a1 2f
}
