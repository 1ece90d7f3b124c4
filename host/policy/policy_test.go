package policy

import (
	"net"
	"strings"
	"testing"
)

func routes(t *testing.T, specs ...string) *Permissions {
	t.Helper()
	p := &Permissions{}
	for _, s := range specs {
		r, err := ParseRoute(s)
		if err != nil {
			t.Fatal(err)
		}
		p.ComfyUI = append(p.ComfyUI, r)
	}
	return p
}

func TestAllowsComfyUI(t *testing.T) {
	p := routes(t, "GET /queue", "GET /history/*", "POST /upload/**", "* /interrupt")
	tests := []struct {
		method, path string
		want         bool
	}{
		{"GET", "/queue", true},
		{"GET", "/api/queue", true},
		{"POST", "/queue", false},
		{"GET", "/queue/x", false},
		{"GET", "/history", false},
		{"GET", "/history/abc", true},
		{"GET", "/api/history/abc", true},
		{"GET", "/history/abc/def", false},
		{"GET", "/history/a%2Fb", true}, // one segment, as ComfyUI routes it
		{"GET", "/history/a%2F..%2Fqueue", true},
		{"GET", "/%71ueue", true},
		{"GET", "/%61pi/queue", false}, // ComfyUI's prefix is not escaped
		{"POST", "/upload", true},
		{"POST", "/upload/image", true},
		{"POST", "/upload/mask/x", true},
		{"GET", "/upload/image", false},
		{"POST", "/interrupt", true},
		{"DELETE", "/interrupt", true},
		{"GET", "/prompt", false},
		{"GET", "/", false},
		{"GET", "/apiqueue", false},
	}
	for _, tt := range tests {
		if got := p.AllowsComfyUI(tt.method, tt.path); got != tt.want {
			t.Errorf("%s %s: allowed=%v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
	var none *Permissions
	if none.AllowsComfyUI("GET", "/queue") {
		t.Error("nil permissions allowed a request")
	}
	if !All().AllowsComfyUI("POST", "/prompt") || !All().AllowsComfyUI("GET", "/") {
		t.Error("All() refused a request")
	}
}

func TestParseRouteErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/queue", "not a route"},
		{"GET", "not a route"},
		{"FETCH /queue", "not an HTTP method"},
		{"GET queue", "must start with /"},
		{"GET /a//b", "empty path segment"},
		{"GET /**/x", "** may only end"},
		{"GET /hist*", "whole segment"},
		{"GET /a/../b", `".." segments`},
	} {
		_, err := ParseRoute(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRoute(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
	r, err := ParseRoute("  GET   /api/history/* ")
	if err != nil || r.String() != "GET /history/*" {
		t.Errorf("ParseRoute = %v, %v", r, err)
	}
}

func TestEndpoints(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    string
		private bool
		err     string
	}{
		{in: "api.example.com:443", want: "api.example.com:443"},
		{in: "API.Example.com:443", want: "api.example.com:443"},
		{in: "db.internal:5432 private", want: "db.internal:5432 private", private: true},
		{in: "127.0.0.1:8080", want: "127.0.0.1:8080 private", private: true},
		{in: "localhost:80", want: "localhost:80 private", private: true},
		{in: "[::1]:80", want: "[::1]:80 private", private: true},
		{in: "8.8.8.8:53", want: "8.8.8.8:53"},
		{in: "example.com", err: "not host:port"},
		{in: "example.com:0", err: "port"},
		{in: "example.com:99999", err: "port"},
		{in: "*.example.com:443", err: "not a host name"},
		{in: "example.com:443 open", err: "unknown flag"},
	} {
		e, err := ParseEndpoint(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseEndpoint(%q) = %v, want error %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || e.String() != tt.want || e.Private != tt.private {
			t.Errorf("ParseEndpoint(%q) = %v (private %v), %v; want %s", tt.in, e, e.Private, err, tt.want)
		}
	}
	e, _ := ParseEndpoint("api.example.com:443")
	p := &Permissions{HTTP: []Endpoint{e}}
	if _, ok := p.AllowsHTTP("API.example.com.", 443); !ok {
		t.Error("granted host refused")
	}
	if _, ok := p.AllowsHTTP("api.example.com", 80); ok {
		t.Error("other port allowed")
	}
	if _, ok := p.AllowsHTTP("evil.example.com", 443); ok {
		t.Error("other host allowed")
	}
	if e.AllowsAddr(net.ParseIP("169.254.169.254")) || !e.AllowsAddr(net.ParseIP("93.184.216.34")) {
		t.Error("public grant: wrong address decision")
	}
}

func TestPublic(t *testing.T) {
	for ip, want := range map[string]bool{
		"93.184.216.34":          true,
		"2606:2800:220:1::":      true,
		"127.0.0.1":              false,
		"10.1.2.3":               false,
		"172.16.0.1":             false,
		"192.168.1.1":            false,
		"169.254.169.254":        false, // cloud metadata
		"100.64.0.1":             false,
		"0.0.0.0":                false,
		"255.255.255.255":        false,
		"::1":                    false,
		"fe80::1":                false,
		"fd00::1":                false,
		"::ffff:127.0.0.1":       false,
		"::ffff:169.254.169.254": false,
		"64:ff9b::a9fe:a9fe":     false, // NAT64 of 169.254.169.254
		"2002:7f00:1::":          false, // 6to4 of 127.0.0.1
		"224.0.0.1":              false,
	} {
		if got := Public(net.ParseIP(ip)); got != want {
			t.Errorf("Public(%s) = %v, want %v", ip, got, want)
		}
	}
}
