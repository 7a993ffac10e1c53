// httpserver: the Go HTTP server of test_trace_go.c (stdlib only, built
// CGO_ENABLED=0: a static binary faultrun must trace). It listens on
// 127.0.0.1 with a port the kernel picks and prints "port N" first.
//
//	GET /data?n=N   N bytes of the test body (package body)
//	PUT /sum        the body's length and SHA-256: "LEN HEX"
//	GET /quit       answers "bye", then the server exits 0
//
// It exits by itself after -life (60 s by default): nothing outlives a
// test that lost it. A request that fails is logged on stderr; the server
// goes on (a client's reset must not end it).
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"faultkit/tests/go/body"
)

func main() {
	life := flag.Duration("life", 60*time.Second, "exit after this long")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	fmt.Printf("port %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/data", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		if _, err := io.Copy(w, &body.Reader{N: n}); err != nil {
			log.Printf("GET /data: %v", err)
		}
	})
	mux.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			log.Printf("PUT /sum: %v after %d bytes", err, n)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "bye")
		close(quit)
	})
	srv := &http.Server{Handler: mux, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	go srv.Serve(ln)
	select {
	case <-quit:
		time.Sleep(50 * time.Millisecond) // "bye" on its way before the exit
	case <-time.After(*life):
		log.Printf("life of %v is over", *life)
		os.Exit(3)
	}
}
