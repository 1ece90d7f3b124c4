package plugin

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// TestSecretsStayInTheHost runs a plugin against a ComfyUI behind an
// authenticating proxy, with the token in a header and a password in the
// URL, and checks that neither reaches the plugin's memory, its results or
// the log, whether the requests succeed or fail.
func TestSecretsStayInTheHost(t *testing.T) {
	const token, password = "tok-5f1c9e0a7b", "pw-83bd41c2"
	srv := comfyuitest.NewServer(t, comfyuitest.WithAuth("Authorization", "Bearer "+token))
	f := newFixture(t)
	good, err := comfyui.New(comfyui.Config{
		BaseURL: strings.Replace(srv.URL, "http://", "http://easel:"+password+"@", 1),
		Header:  http.Header{"Authorization": {"Bearer " + token}},
		Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := comfyui.New(comfyui.Config{
		BaseURL: strings.Replace(srv.URL, "http://", "http://easel:"+password+"@", 1),
		Header:  http.Header{"Authorization": {"Bearer not-" + token}},
		Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, requester := range []Requester{good, wrong} {
		p := f.load(t, Spec{Requester: requester, MaxInstances: 1})
		for _, input := range []string{`{"mode": "queue"}`, `{"mode": "config"}`} {
			r, err := call(t, p, input)
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, r.Content[0].Text)
			if r.StructuredContent != nil {
				results = append(results, r.StructuredContent.Text)
			}
		}
		inst, err := p.pool.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		size := inst.mod.Memory().Size()
		mem, _ := inst.mod.Memory().Read(0, size)
		for _, secret := range []string{token, password} {
			if bytes.Contains(mem, []byte(secret)) {
				t.Errorf("the plugin's %d bytes of memory contain the secret %q", size, secret)
			}
		}
		p.pool.release(inst, true)
	}
	all := strings.Join(results, "\n") + f.log.String()
	if !strings.Contains(all, "401") && !strings.Contains(all, "Unauthorized") && !strings.Contains(all, "unauthori") {
		t.Errorf("the wrong token did not produce an authentication error; results:\n%s", strings.Join(results, "\n"))
	}
	for _, secret := range []string{token, password} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q appears in a result or the log:\n%s", secret, all)
		}
	}
}
