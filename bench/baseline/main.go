// Command baseline is the yardstick for the verification load test: the
// least a Go net/http server can do to answer a request with a JSON body of
// the same size as Keyway's verification answer.
package main

import (
	"bytes"
	"flag"
	"log"
	"net/http"
	"strconv"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	size := flag.Int("size", 400, "response body size in bytes")
	flag.Parse()
	body := append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), max(*size-10, 0))...)
	body = append(body, `"}`...)
	contentType := []string{"application/json; charset=utf-8"}
	contentLength := []string{strconv.Itoa(len(body))}
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = contentType
		h["Content-Length"] = contentLength
		w.Write(body)
	})))
}
