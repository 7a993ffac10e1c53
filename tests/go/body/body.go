// Package body is the test body both sides agree on: byte I of a body
// is I mod 251 (a prime: no power-of-two period hides a lost or doubled
// buffer), made on the fly, never held whole.
package body

import "io"

// At is byte I of every body.
func At(i int64) byte { return byte(i % 251) }

// Reader yields the first N bytes of the body.
type Reader struct{ Off, N int64 }

func (r *Reader) Read(p []byte) (int, error) {
	if r.Off >= r.N {
		return 0, io.EOF
	}
	if int64(len(p)) > r.N-r.Off {
		p = p[:r.N-r.Off]
	}
	for i := range p {
		p[i] = At(r.Off + int64(i))
	}
	r.Off += int64(len(p))
	return len(p), nil
}
