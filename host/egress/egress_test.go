package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/policy"
)

func grant(t *testing.T, specs ...string) *policy.Permissions {
	t.Helper()
	p := &policy.Permissions{}
	for _, s := range specs {
		e, err := policy.ParseEndpoint(s)
		if err != nil {
			t.Fatal(err)
		}
		p.HTTP = append(p.HTTP, e)
	}
	return p
}

// resolveTo answers every lookup with ip, as a rebound DNS name would.
func resolveTo(ip string) func(context.Context, string) ([]net.IP, error) {
	return func(context.Context, string) ([]net.IP, error) { return []net.IP{net.ParseIP(ip)}, nil }
}

func get(t *testing.T, c *Client, rawURL string) (*Response, error) {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(context.Background(), req)
}

func TestGrants(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/redirect-out":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/redirect-in":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/big":
			w.Write(make([]byte, 2048))
		default:
			w.Write([]byte("ok " + r.URL.Path))
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port := u.Port()

	tests := []struct {
		name   string
		grants []string
		lookup func(context.Context, string) ([]net.IP, error)
		url    string
		want   string // body, or the error it must contain
		refuse bool
	}{
		{name: "granted IP literal", grants: []string{"127.0.0.1:" + port}, url: srv.URL + "/ok", want: "ok /ok"},
		{name: "not granted", url: srv.URL + "/ok", want: "127.0.0.1:" + port + " is not granted to tool t (tools.yaml: add", refuse: true},
		{name: "other port", grants: []string{"127.0.0.1:1"}, url: srv.URL + "/ok", want: "is not granted", refuse: true},
		{name: "public name rebound to loopback", grants: []string{"svc.example.com:" + port}, lookup: resolveTo("127.0.0.1"),
			url: "http://svc.example.com:" + port + "/ok", want: "svc.example.com resolves to 127.0.0.1, a non-public address", refuse: true},
		{name: "name rebound to metadata", grants: []string{"svc.example.com:80"}, lookup: resolveTo("169.254.169.254"),
			url: "http://svc.example.com/latest/meta-data/", want: "resolves to 169.254.169.254", refuse: true},
		{name: "private grant", grants: []string{"svc.internal:" + port + " private"}, lookup: resolveTo("127.0.0.1"),
			url: "http://svc.internal:" + port + "/ok", want: "ok /ok"},
		{name: "redirect within the grant", grants: []string{"127.0.0.1:" + port}, url: srv.URL + "/redirect-in", want: "ok /ok"},
		{name: "redirect out of the grant", grants: []string{"127.0.0.1:" + port}, url: srv.URL + "/redirect-out",
			want: "169.254.169.254:80 is not granted", refuse: true},
		{name: "other scheme", grants: []string{"127.0.0.1:" + port}, url: "file:///etc/passwd", want: "only http and https", refuse: true},
		{name: "credentials in the URL", grants: []string{"127.0.0.1:" + port}, url: "http://u:p@127.0.0.1:" + port + "/ok", want: "credentials", refuse: true},
		{name: "response over the cap", grants: []string{"127.0.0.1:" + port}, url: srv.URL + "/big", want: "larger than the 1024-byte cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits = 0
			c := New(Config{Permissions: grant(t, tt.grants...), Tool: "t", LookupIP: tt.lookup, MaxResponseBytes: 1024})
			resp, err := get(t, c, tt.url)
			if err == nil {
				if string(resp.Body) != tt.want {
					t.Fatalf("body %q, want %q", resp.Body, tt.want)
				}
				return
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
			var refused *RefusedError
			if errors.As(err, &refused) != tt.refuse {
				t.Fatalf("error %v: refused=%v, want %v", err, !tt.refuse, tt.refuse)
			}
			if tt.refuse && strings.Contains(tt.name, "not granted") && hits != 0 {
				t.Fatalf("a refused request reached the server")
			}
		})
	}
}
