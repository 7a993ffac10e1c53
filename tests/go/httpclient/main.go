// httpclient: the Go HTTP client of test_trace_go.c (stdlib only, built
// CGO_ENABLED=0). Against httpserver at 127.0.0.1:PORT it makes ROUNDS
// rounds of a GET of SIZE bytes and a PUT of SIZE bytes, checking every
// byte of the GET against the test body and the PUT's length and SHA-256
// as the server counted them; with -quit it ends the server after.
// One line at the end: "ok G gets P puts B bytes"; the first failure
// instead, "error: ...", exit 1. Every request is bounded (-timeout).
//
//	httpclient [-quit] [-timeout D] PORT SIZE ROUNDS
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"faultkit/tests/go/body"
)

var client *http.Client

func fail(format string, a ...interface{}) {
	fmt.Printf("error: "+format+"\n", a...)
	os.Exit(1)
}

func get(base string, size int64) {
	resp, err := client.Get(fmt.Sprintf("%s/data?n=%d", base, size))
	if err != nil {
		fail("GET: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fail("GET: status %s", resp.Status)
	}
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, err := resp.Body.Read(buf)
		for i := 0; i < n; i++ {
			if buf[i] != body.At(off+int64(i)) {
				fail("GET: byte %d is %d, want %d", off+int64(i), buf[i], body.At(off+int64(i)))
			}
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			fail("GET: %v after %d bytes", err, off)
		}
	}
	if off != size {
		fail("GET: %d bytes, want %d", off, size)
	}
}

func put(base string, size int64) {
	h := sha256.New()
	io.Copy(h, &body.Reader{N: size})
	want := fmt.Sprintf("%d %x", size, h.Sum(nil))
	req, err := http.NewRequest(http.MethodPut, base+"/sum", &body.Reader{N: size})
	if err != nil {
		fail("PUT: %v", err)
	}
	req.ContentLength = size
	resp, err := client.Do(req)
	if err != nil {
		fail("PUT: %v", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		fail("PUT: answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, []byte(want)) {
		fail("PUT: server says %s %q, want %q", resp.Status, got, want)
	}
}

func main() {
	quit := flag.Bool("quit", false, "end the server after")
	timeout := flag.Duration("timeout", 20*time.Second, "bound on each request")
	flag.Parse()
	if flag.NArg() != 3 {
		fmt.Fprintln(os.Stderr, "usage: httpclient [-quit] [-timeout D] PORT SIZE ROUNDS")
		os.Exit(2)
	}
	size, err1 := strconv.ParseInt(flag.Arg(1), 10, 64)
	rounds, err2 := strconv.Atoi(flag.Arg(2))
	if err1 != nil || err2 != nil || size < 0 || rounds < 0 {
		fmt.Fprintln(os.Stderr, "httpclient: bad SIZE or ROUNDS")
		os.Exit(2)
	}
	client = &http.Client{Timeout: *timeout}
	base := "http://127.0.0.1:" + flag.Arg(0)
	for i := 0; i < rounds; i++ {
		get(base, size)
		put(base, size)
	}
	if *quit {
		if resp, err := client.Get(base + "/quit"); err == nil {
			resp.Body.Close()
		}
	}
	fmt.Printf("ok %d gets %d puts %d bytes\n", rounds, rounds, 2*int64(rounds)*size)
}
