package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAppendEchoMatchesEchoPackets(t *testing.T) {
	var e, a []byte
	for _, c := range []int{0, 7, 49, 12345} {
		for _, i := range []int{0, 1, 19, 20, 519, 99999} {
			for _, size := range []int{0, 5, 100, 300} {
				e, a = appendEcho(e, a, c, i, size)
				we, wa := echoPackets(i, echoPayload(c, i, size))
				if !bytes.Equal(e, we) || !bytes.Equal(a, wa) {
					t.Fatalf("c=%d i=%d size=%d: got %q %q, want %q %q", c, i, size, e, a, we, wa)
				}
			}
		}
	}
}

// TestHTTPConnNetHTTP: requests as net/http's server parses them, and its
// responses (Content-Length for small bodies, chunked for flushed ones).
func TestHTTPConnNetHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != r.Context().Value(http.LocalAddrContextKey).(net.Addr).String() {
			t.Errorf("Host %q", r.Host)
		}
		switch r.Method {
		case "POST":
			if ct := r.Header.Get("Content-Type"); ct != "text/plain;charset=UTF-8" {
				t.Errorf("Content-Type %q", ct)
			}
			b, _ := io.ReadAll(r.Body)
			if r.URL.Query().Get("chunked") != "" {
				w.Write(b[:1])
				w.(http.Flusher).Flush()
				w.Write(b[1:])
				return
			}
			w.Write(b)
		case "GET":
			if r.URL.Query().Get("status") != "" {
				http.Error(w, "bad", 400)
				return
			}
			if r.URL.Query().Get("close") != "" {
				w.Header().Set("Connection", "close")
			}
			io.WriteString(w, "4hello\x1e4world")
		}
	}))
	defer srv.Close()
	h := newHTTPConn(strings.TrimPrefix(srv.URL, "http://"), 5*time.Second)
	defer h.close()
	for range 3 {
		b, err := h.do("/x?a=1", []byte("hello"))
		if err != nil || string(b) != "hello" {
			t.Fatalf("POST: %q %v", b, err)
		}
		b, err = h.do("/x?chunked=1", []byte("chunky"))
		if err != nil || string(b) != "chunky" {
			t.Fatalf("POST chunked: %q %v", b, err)
		}
		b, err = h.do("/x", nil)
		if err != nil || string(b) != "4hello\x1e4world" {
			t.Fatalf("GET: %q %v", b, err)
		}
		b, err = h.do("/x?close=1", nil)
		if err != nil || string(b) != "4hello\x1e4world" || h.c != nil {
			t.Fatalf("GET with Connection: close: %q %v (conn kept: %v)", b, err, h.c != nil)
		}
	}
	if _, err := h.do("/x?status=1", nil); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("400: %v", err)
	}
}

// TestHTTPConnFraming: hand-written responses (interim 100, chunk
// extensions and trailers, close-delimited bodies, bad framing).
func TestHTTPConnFraming(t *testing.T) {
	cases := []struct {
		resp, want string
		bad        bool
	}{
		{resp: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", want: "ok"},
		{resp: "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n3;x=y\r\nabc\r\n1\r\nd\r\n0\r\nTrailer: 1\r\n\r\n", want: "abcd"},
		{resp: "HTTP/1.1 200\r\nCONTENT-LENGTH:  3 \r\n\r\nabc", want: "abc"},
		{resp: "HTTP/1.0 200 OK\r\n\r\nuntil close", want: "until close"},
		{resp: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", bad: true},
		{resp: "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", bad: true},
		{resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", bad: true},
		{resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", bad: true},
		{resp: "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope", bad: true},
		{resp: "HTTP/2 200\r\n\r\n", bad: true},
	}
	for _, tc := range cases {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for { // the request head; a GET has no body
				line, err := br.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
			io.WriteString(c, tc.resp)
		}()
		h := newHTTPConn(ln.Addr().String(), 5*time.Second)
		b, err := h.do("/", nil)
		h.close()
		ln.Close()
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error (body %q)", tc.resp, b)
			}
			continue
		}
		if err != nil || string(b) != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.resp, b, err, tc.want)
		}
	}
}
