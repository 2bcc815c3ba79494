package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/keywayhq/keyway"
)

// StatusOf is the one place that maps error codes to HTTP statuses, for
// the API and the dashboard alike.
func StatusOf(c keyway.Code) int {
	switch c {
	case keyway.CodeInvalid:
		return http.StatusBadRequest
	case keyway.CodeUnauthorized:
		return http.StatusUnauthorized
	case keyway.CodeForbidden:
		return http.StatusForbidden
	case keyway.CodeNotFound:
		return http.StatusNotFound
	case keyway.CodeConflict:
		return http.StatusConflict
	case keyway.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case keyway.CodeRateLimited:
		return http.StatusTooManyRequests
	case keyway.CodeNotImplemented:
		return http.StatusNotImplemented
	case keyway.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the NestJS error shape. Message is a string, or an array of
// strings for validation errors. 401 and 429 carry no "error" field, as
// NestJS's guards and throttler answer.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Message    any    `json:"message"`
	Error      string `json:"error,omitempty"`
}

func encodeError(err error) (int, []byte) {
	body := errorAnswer(err)
	b, _ := json.Marshal(body)
	return body.StatusCode, b
}

// errorMessages is an error's answer as its status and messages, as MCP
// tool errors carry them.
func errorMessages(err error) (int, []string) {
	body := errorAnswer(err)
	switch m := body.Message.(type) {
	case []string:
		return body.StatusCode, m
	case string:
		return body.StatusCode, []string{m}
	}
	return body.StatusCode, []string{http.StatusText(body.StatusCode)}
}

// errorAnswer is the one place an error becomes the contract's answer.
func errorAnswer(err error) errorBody {
	e := keyway.AsError(err)
	status := StatusOf(e.Code)
	body := errorBody{StatusCode: status, Message: e.Message}
	switch status {
	case http.StatusUnauthorized, http.StatusTooManyRequests:
	case http.StatusInternalServerError:
		// Never the cause: it may hold SQL or a secret.
		body.Message = "Internal server error"
	default:
		body.Error = http.StatusText(status)
		if status == http.StatusRequestEntityTooLarge {
			body.Error = "Payload Too Large"
		}
	}
	if e.Code == keyway.CodeInvalid && len(e.Details) > 0 {
		body.Message = e.Details
	}
	return body
}

var jsonContentType = []string{"application/json; charset=utf-8"}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// writePrepared writes a body encoded ahead of time, on the verification
// path. It leaves Content-Length to net/http, which computes it for bodies
// written in one go without the allocation of formatting it here.
func writePrepared(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(body)
}

func writeError(w http.ResponseWriter, err error) {
	status, body := encodeError(err)
	writeJSON(w, status, body)
}
