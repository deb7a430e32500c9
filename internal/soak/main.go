// Command soak runs a server under mixed load for a while (default 10
// minutes; -d to change) and fails if its memory, goroutines or file
// descriptors keep growing after the warm-up, or if any connection that
// should have stayed up was dropped: it then says which client, over which
// transport and after how long. Run it with `make soak`.
//
// The load, all on 127.0.0.1 and bounded: clients that connect, join
// rooms, emit, broadcast, ask for acks and disconnect (cleanly or by
// dropping TCP), long-polling clients, bad clients that send garbage or
// stop reading, and residents: six clients that stay connected for the
// whole run, over websocket, long-polling and long-polling upgraded to
// websocket, idle or sending an event with an ack every 100 ms. The
// heartbeat (2 s) and the write timeout (2 s) are short, so that a run
// outlives each of them hundreds of times.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gosio/sio/socketio"
)

func main() {
	duration := flag.Duration("d", 10*time.Minute, "how long to run")
	every := flag.Duration("every", 10*time.Second, "how often to print a sample")
	workers := flag.Int("c", 50, "concurrent simulated clients")
	flag.Parse()

	io := socketio.NewServer(&socketio.Options{
		PingInterval:  2 * time.Second,
		PingTimeout:   2 * time.Second,
		WriteTimeout:  2 * time.Second,
		MaxQueueBytes: 256 << 10,
	})
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	report := &unexpected{}
	io.OnConnection(func(s *socketio.Socket) {
		// The clients say what they are in the query: "resident" must
		// stay up until the run is over; "good" leaves by itself, with a
		// namespace disconnect or by dropping its connection (which the
		// server sees as "transport close", or "transport error" when the
		// drop resets it), and says itself whether it lost its
		// connection earlier; the bad ones get what they deserve.
		kind := s.Handshake().Query.Get("kind")
		s.OnDisconnect(func(reason socketio.DisconnectReason) {
			if ctx.Err() != nil {
				return // the run is over: everyone leaves
			}
			switch reason {
			case socketio.ReasonClientNamespaceDisconnect, socketio.ReasonTransportClose, socketio.ReasonTransportError:
				if kind != "resident" {
					return
				}
			}
			switch kind {
			case "resident", "good":
				report.add("server side: %s client over %s after %v: %q", kind, s.Transport(),
					time.Since(s.Handshake().Time).Round(time.Millisecond), reason)
			}
		})
		s.On("join", func(room string) { _ = s.Join(room) })
		s.On("say", func(room, text string) { _ = s.To(room).Emit("said", text) })
		s.On("echo", func(args socketio.Args, ack socketio.Ack) {
			out := make([]any, len(args))
			for i, a := range args {
				out[i] = a
			}
			_ = ack(out...)
		})
		s.On("shout", func(text string) { _ = s.Broadcast().Volatile().Emit("shout", text) })
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: io}
	go func() { _ = srv.Serve(ln) }()
	addr := ln.Addr().String()
	log.Printf("soak: server on %s for %v with %d clients", addr, *duration, *workers)

	var residents []*resident
	for _, busy := range []bool{false, true} {
		for _, tr := range []string{"websocket", "polling", "upgrade"} {
			residents = append(residents, runResident(ctx, addr, tr, busy, report))
		}
	}
	var ops atomic.Int64
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for ctx.Err() == nil {
				switch n := r.IntN(100); {
				case n < 70:
					goodClient(ctx, addr, r, report)
				case n < 80:
					pollingClient(addr)
				default:
					badClient(addr, r)
				}
				ops.Add(1)
			}
		}()
	}

	type sample struct {
		rss        int64
		goroutines int
		fds        int
	}
	var samples []sample
	tick := time.NewTicker(*every)
	defer tick.Stop()
	start := time.Now()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			runtime.GC()
			s := sample{rssKiB(), runtime.NumGoroutine(), fds()}
			samples = append(samples, s)
			fmt.Printf("t=%-6s rss=%6d KiB goroutines=%5d fds=%5d sessions=%5d ops=%d\n",
				time.Since(start).Round(time.Second), s.rss, s.goroutines, s.fds, io.EngineCount(), ops.Load())
		}
	}
	wg.Wait()
	shut, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	_ = io.Shutdown(shut)
	_ = srv.Shutdown(shut)

	for _, r := range residents {
		pings := r.pings()
		r.mu.Lock()
		fmt.Printf("soak: resident %-18s %4d pings answered, %5d acks in order\n", r.name(), pings, r.acked)
		if pings == 0 || r.busy && r.acked == 0 {
			report.add("client %s resident: no traffic", r.name())
		}
		r.mu.Unlock()
	}
	lost := report.all()
	fmt.Printf("soak: %d unexpected disconnects\n", len(lost))
	for _, l := range lost {
		fmt.Println("soak:   ", l)
	}

	// After the warm-up (the first third), the second half of the run must
	// not sit clearly above the first half.
	if len(samples) < 6 {
		log.Printf("soak: too short to judge a trend (%d samples)", len(samples))
		if len(lost) > 0 {
			os.Exit(1)
		}
		return
	}
	rest := samples[len(samples)/3:]
	half := len(rest) / 2
	avg := func(xs []sample, f func(sample) float64) float64 {
		t := 0.0
		for _, x := range xs {
			t += f(x)
		}
		return t / float64(len(xs))
	}
	failed := false
	for _, m := range []struct {
		name  string
		f     func(sample) float64
		slack float64
	}{
		{"rss", func(s sample) float64 { return float64(s.rss) }, 1.25},
		{"goroutines", func(s sample) float64 { return float64(s.goroutines) }, 1.5},
		{"fds", func(s sample) float64 { return float64(s.fds) }, 1.5},
	} {
		a, b := avg(rest[:half], m.f), avg(rest[half:], m.f)
		verdict := "ok"
		if b > a*m.slack+10 {
			verdict = "GROWING"
			failed = true
		}
		fmt.Printf("soak: %-10s first half %.0f, second half %.0f: %s\n", m.name, a, b, verdict)
	}
	if failed || len(lost) > 0 {
		os.Exit(1)
	}
}

func dial(addr, kind string) (*websocket.Conn, error) {
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/socket.io/?EIO=4&transport=websocket&kind="+kind, nil)
	if err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := c.ReadMessage(); err != nil { // open
		c.Close()
		return nil, err
	}
	return c, nil
}

// goodClient connects, joins a room, talks and acks for a while, then
// leaves cleanly or drops its connection.
func goodClient(ctx context.Context, addr string, r *rand.Rand, report *unexpected) {
	start := time.Now()
	c, err := dial(addr, "good")
	if err != nil {
		report.add("client good (websocket): could not connect: %v", err)
		return
	}
	defer c.Close()
	var leaving atomic.Bool // from then on, the end of the connection is ours
	_ = c.WriteMessage(websocket.TextMessage, []byte("40"))
	room := "room-" + strconv.Itoa(r.IntN(20))
	_ = c.WriteMessage(websocket.TextMessage, []byte(`42["join","`+room+`"]`))
	done := make(chan struct{})
	go func() { // read and answer pings until the connection ends
		defer close(done)
		for {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				if !leaving.Load() && ctx.Err() == nil {
					report.add("client good over websocket after %v: %v", time.Since(start).Round(time.Millisecond), err)
				}
				return
			}
			switch string(data) {
			case "2":
				_ = c.WriteMessage(websocket.TextMessage, []byte("3"))
			case "41":
				if !leaving.Load() && ctx.Err() == nil {
					report.add("client good over websocket after %v: the server disconnected the socket", time.Since(start).Round(time.Millisecond))
				}
			}
		}
	}()
	for i := range 5 + r.IntN(20) {
		if ctx.Err() != nil {
			break
		}
		var msg string
		switch r.IntN(3) {
		case 0:
			msg = `42["say","` + room + `","hello"]`
		case 1:
			msg = `42` + strconv.Itoa(i) + `["echo",` + strconv.Itoa(i) + `,{"a":[1,2,3]}]`
		default:
			msg = `42["shout","hi"]`
		}
		if c.WriteMessage(websocket.TextMessage, []byte(msg)) != nil {
			break
		}
		time.Sleep(time.Duration(r.IntN(50)) * time.Millisecond)
	}
	leaving.Store(true)
	if r.IntN(2) == 0 {
		_ = c.WriteMessage(websocket.TextMessage, []byte("41"))
		_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
	}
	c.UnderlyingConn().Close()
	<-done
}

// pollingClient does a long-polling handshake and goes away.
func pollingClient(addr string) {
	res, err := http.Get("http://" + addr + "/socket.io/?EIO=4&transport=polling")
	if err == nil {
		res.Body.Close()
	}
}

// badClient sends garbage, or connects and stops reading.
func badClient(addr string, r *rand.Rand) {
	c, err := dial(addr, "bad")
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.WriteMessage(websocket.TextMessage, []byte("40"))
	bad := []string{"4x", `42{}`, `42["disconnect"]`, `4511-[]`, "9", `42["echo",` + strings.Repeat("[", 5000) + `]`}
	switch r.IntN(3) {
	case 0:
		_ = c.WriteMessage(websocket.TextMessage, []byte(bad[r.IntN(len(bad))]))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return // closed by the server
			}
		}
	case 1:
		_ = c.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	default:
		time.Sleep(time.Duration(r.IntN(3000)) * time.Millisecond) // stalled, never reads
	}
}

func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return -1
}

func fds() int {
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(e)
}
