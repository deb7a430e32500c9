package main

import (
	"slices"
	"sync"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/socketio"
)

// setupRecovery installs namespace "/recovery", for the connection-state
// recovery tests (server started with RECOVERY_MS):
//
//   - on connection, a socket that was not recovered joins "news" and gets
//     data {"n": <its connection number>}; every socket is then emitted
//     "hello" with {"recovered": Recovered()}.
//   - "send" (room, event, value, ack): To(room).Emit(event, value), then
//     acks.
//   - "state" (ack): acks {"id", "recovered", "rooms" (sorted), "data"}.
//   - "await-gone" (id, ack): waits (up to 3 s) until the socket id has
//     disconnected and its session is stored, and acks true (false on
//     timeout).
//   - "await-no-session" (ack): waits (up to 5 s) until the adapter holds
//     no session (they expired and were pruned) and acks true (false on
//     timeout, or without recovery).
func setupRecovery(io *socketio.Server) {
	nsp := io.Of("/recovery")
	var (
		mu    sync.Mutex
		gone  = map[string]chan struct{}{}
		count int
	)
	nsp.OnConnection(func(s *socketio.Socket) {
		ch := make(chan struct{})
		mu.Lock()
		gone[s.ID()] = ch
		count++
		n := count
		mu.Unlock()
		// The session is stored before the disconnect handlers run.
		s.OnDisconnect(func(socketio.DisconnectReason) { close(ch) })
		if !s.Recovered() {
			_ = s.Join("news")
			s.SetData(map[string]any{"n": n})
		}
		_ = s.Emit("hello", map[string]any{"recovered": s.Recovered()})
		s.On("send", func(room, event string, v any, ack socketio.Ack) {
			_ = nsp.To(room).Emit(event, v)
			_ = ack()
		})
		s.On("state", func(ack socketio.Ack) {
			rooms := s.Rooms()
			slices.Sort(rooms)
			_ = ack(map[string]any{"id": s.ID(), "recovered": s.Recovered(), "rooms": rooms, "data": s.Data()})
		})
		s.On("await-gone", func(id string, ack socketio.Ack) {
			mu.Lock()
			ch := gone[id]
			mu.Unlock()
			go func() {
				select {
				case <-ch: // nil for an unknown id: the timeout
					_ = ack(true)
				case <-time.After(3 * time.Second):
					_ = ack(false)
				}
			}()
		})
		s.On("await-no-session", func(ack socketio.Ack) {
			sa, ok := nsp.Adapter().(*adapter.SessionAware)
			go func() {
				deadline := time.Now().Add(5 * time.Second)
				for ok && time.Now().Before(deadline) {
					if sa.Stats().Sessions == 0 {
						_ = ack(true)
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
				_ = ack(false)
			}()
		})
	})
}
