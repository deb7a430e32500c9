package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// unexpected collects the disconnects nobody asked for, seen by a client
// or by the server.
type unexpected struct {
	mu   sync.Mutex
	list []string
}

func (u *unexpected) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Println("soak: UNEXPECTED DISCONNECT:", msg)
	u.mu.Lock()
	u.list = append(u.list, msg)
	u.mu.Unlock()
}

func (u *unexpected) all() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.list...)
}

// A resident is a client that stays connected for the whole run, over one
// transport ("websocket", "polling" or "upgrade": polling, then upgraded),
// answering pings and, when busy, sending an event with an ack every 100
// ms whose acks must come back in order. It reports any end of its
// connection before ctx is done.
type resident struct {
	addr      string
	transport string
	busy      bool
	report    *unexpected
	start     time.Time
	client    *http.Client

	mu      sync.Mutex
	sid     string
	ws      *websocket.Conn
	wsMu    sync.Mutex
	out     []string
	outWake chan struct{}
	posting bool       // a POST is under way
	postEnd bool       // the POST loop has ended
	posted  *sync.Cond // on mu: posting or postEnd changed
	acked   int        // acks received, in order
	ended   bool
	pings   int
}

func runResident(ctx context.Context, addr, transport string, busy bool, report *unexpected) *resident {
	r := &resident{addr: addr, transport: transport, busy: busy, report: report, start: time.Now(),
		client: &http.Client{Timeout: 30 * time.Second}, outWake: make(chan struct{}, 1)}
	r.posted = sync.NewCond(&r.mu)
	go r.run(ctx)
	return r
}

func (r *resident) name() string {
	if r.busy {
		return r.transport + " (busy)"
	}
	return r.transport + " (idle)"
}

// lost reports the end of the connection, unless the run is over.
func (r *resident) lost(ctx context.Context, why string, args ...any) {
	r.mu.Lock()
	ended := r.ended
	r.ended = true
	r.mu.Unlock()
	if ended || ctx.Err() != nil {
		return
	}
	r.report.add("client %s resident after %v: %s", r.name(), time.Since(r.start).Round(time.Millisecond), fmt.Sprintf(why, args...))
}

func (r *resident) run(ctx context.Context) {
	base := "http://" + r.addr + "/socket.io/?EIO=4&kind=resident&"
	var pollDone chan struct{}
	if r.transport == "websocket" {
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+r.addr+"/socket.io/?EIO=4&kind=resident&transport=websocket", nil)
		if err != nil {
			r.lost(ctx, "dial: %v", err)
			return
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); err != nil { // open
			r.lost(ctx, "open: %v", err)
			return
		}
		r.ws = ws
		r.send("40")
		go r.readWS(ctx, ws)
	} else {
		res, err := r.client.Get(base + "transport=polling")
		if err != nil {
			r.lost(ctx, "handshake: %v", err)
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		i := strings.Index(string(body), `"sid":"`)
		if i < 0 {
			r.lost(ctx, "handshake: %q", body)
			return
		}
		r.sid = string(body[i+7 : i+27])
		stopPoll := make(chan struct{})
		pollDone = make(chan struct{})
		go r.poll(ctx, base+"transport=polling&sid="+r.sid, stopPoll, pollDone)
		go r.post(ctx, base+"transport=polling&sid="+r.sid)
		r.send("40")
		if r.transport == "upgrade" {
			if err := r.upgrade(stopPoll, pollDone); err != nil {
				r.lost(ctx, "upgrade: %v", err)
				return
			}
			defer r.ws.Close()
			go r.readWS(ctx, r.ws)
		}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			r.mu.Lock()
			r.ended = true
			r.mu.Unlock()
			r.send("41")
			return
		case <-tick.C:
		}
		if r.busy {
			r.send(`42` + strconv.Itoa(i) + `["echo",` + strconv.Itoa(i) + `]`)
		}
	}
}

// onPacket handles one Engine.IO packet from the server.
func (r *resident) onPacket(ctx context.Context, p string) {
	switch {
	case p == "2":
		r.mu.Lock()
		r.pings++
		r.mu.Unlock()
		r.send("3")
	case p == "1":
		r.lost(ctx, "the server sent an Engine.IO close")
	case p == "41":
		r.lost(ctx, "the server disconnected the socket")
	case strings.HasPrefix(p, "43"):
		// 43<id>[<id>]: the acks come back in order.
		id, _, _ := strings.Cut(p[2:], "[")
		r.mu.Lock()
		if id != strconv.Itoa(r.acked) {
			r.mu.Unlock()
			r.lost(ctx, "ack %s after %d acks", id, r.acked)
			return
		}
		r.acked++
		r.mu.Unlock()
	}
}

func (r *resident) send(p string) {
	r.mu.Lock()
	ws := r.ws
	if ws == nil {
		r.out = append(r.out, p)
		r.mu.Unlock()
		select {
		case r.outWake <- struct{}{}:
		default:
		}
		return
	}
	r.mu.Unlock()
	r.wsMu.Lock()
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_ = ws.WriteMessage(websocket.TextMessage, []byte(p))
	r.wsMu.Unlock()
}

func (r *resident) readWS(ctx context.Context, ws *websocket.Conn) {
	for {
		_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			r.lost(ctx, "websocket read: %v", err)
			return
		}
		r.onPacket(ctx, string(data))
	}
}

func (r *resident) poll(ctx context.Context, url string, stop, done chan struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		default:
		}
		res, err := r.client.Get(url)
		if err != nil {
			r.lost(ctx, "GET: %v", err)
			return
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			r.lost(ctx, "GET: %d %q %v", res.StatusCode, body, err)
			return
		}
		for _, p := range strings.Split(string(body), "\x1e") {
			r.onPacket(ctx, p)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (r *resident) post(ctx context.Context, url string) {
	defer func() {
		r.mu.Lock()
		r.posting, r.postEnd = false, true
		r.posted.Broadcast()
		r.mu.Unlock()
	}()
	for {
		r.mu.Lock()
		out := r.out
		r.out = nil
		r.posting = len(out) > 0
		r.posted.Broadcast()
		onWS := r.ws != nil
		r.mu.Unlock()
		if len(out) == 0 {
			if onWS || ctx.Err() != nil {
				return
			}
			select {
			case <-r.outWake:
			case <-ctx.Done():
			}
			continue
		}
		res, err := r.client.Post(url, "text/plain;charset=UTF-8", strings.NewReader(strings.Join(out, "\x1e")))
		if err != nil {
			r.lost(ctx, "POST: %v", err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			r.lost(ctx, "POST: %d", res.StatusCode)
			return
		}
	}
}

// upgrade moves the polling session to a websocket as the official
// client does: probe, stop polling, flush what waits for a POST, "5".
func (r *resident) upgrade(stopPoll, pollDone chan struct{}) error {
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+r.addr+"/socket.io/?EIO=4&kind=resident&transport=websocket&sid="+r.sid, nil)
	if err != nil {
		return err
	}
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, []byte("2probe")); err != nil {
		ws.Close()
		return err
	}
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "3probe" {
		ws.Close()
		return errors.Join(err, fmt.Errorf("probe answered %q", data))
	}
	close(stopPoll)
	<-pollDone
	r.mu.Lock()
	for (len(r.out) > 0 || r.posting) && !r.postEnd {
		r.posted.Wait()
	}
	r.ws = ws
	r.mu.Unlock()
	select {
	case r.outWake <- struct{}{}: // the POST loop ends
	default:
	}
	r.wsMu.Lock()
	err = ws.WriteMessage(websocket.TextMessage, []byte("5"))
	r.wsMu.Unlock()
	if err != nil {
		ws.Close()
	}
	return err
}
