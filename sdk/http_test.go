package sdk

import (
	"errors"
	"testing"
)

func TestHTTP(t *testing.T) {
	c := newCall(&fakeHost{t: t}, "fake")
	resp, err := c.HTTP(HTTPRequest{Method: "POST", URL: "https://api.example.com/tag", Headers: map[string]string{"X-Key": "k"}, Body: []byte("img")})
	if err != nil || resp.Status != 200 || string(resp.Body) != "POST k img" || resp.Headers["Content-Type"] != "text/plain" {
		t.Fatalf("HTTP = %+v, %v", resp, err)
	}
	resp, err = c.HTTP(HTTPRequest{URL: "https://api.example.com/get"})
	if err != nil || string(resp.Body) != "GET  " {
		t.Fatalf("empty method: %+v, %v; want GET", resp, err)
	}
	var refused *RefusedError
	if _, err := c.HTTP(HTTPRequest{URL: "http://169.254.169.254/"}); !errors.As(err, &refused) {
		t.Fatalf("ungranted URL: error %v, want *RefusedError", err)
	}
	var down *UnavailableError
	if _, err := c.HTTP(HTTPRequest{URL: "https://api.example.com/down"}); !errors.As(err, &down) || down.Message != "api.example.com unreachable" {
		t.Fatalf("unreachable: error %v, want *UnavailableError with the host's message", err)
	}
}
