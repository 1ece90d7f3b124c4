package sdk

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClientLog(t *testing.T) {
	h := &fakeHost{t: t}
	c := newCallFor(h)
	if !c.Client().Log(LogWarning, "db", map[string]int{"retries": 3}) {
		t.Fatal("Log reported not sent")
	}
	c.Client().Log(LogInfo, "", "plain text")
	want := []string{`{"level":"warning","logger":"db","data":{"retries":3}}`, `{"level":"info","data":"plain text"}`}
	if strings.Join(h.clientLogs, "\n") != strings.Join(want, "\n") {
		t.Errorf("client_log messages =\n%s\nwant\n%s", strings.Join(h.clientLogs, "\n"), strings.Join(want, "\n"))
	}
}

func TestCreateMessage(t *testing.T) {
	h := &fakeHost{t: t, sample: func([]byte) []byte {
		return []byte(`{"result":{"role":"assistant","content":{"type":"text","text":"hi there"},"model":"m1","stopReason":"endTurn"}}`)
	}}
	res, err := newCallFor(h).Client().CreateMessage(SamplingRequest{
		Messages:   []SamplingMessage{{Role: "user", Content: Content{Type: "text", Text: "hello"}}, {Role: "user", Content: Content{Type: "image", Data: []byte{1, 2}, MimeType: "image/png"}}},
		ModelHints: []string{"claude"},
	})
	if err != nil || res.Content.Text != "hi there" || res.Model != "m1" || res.StopReason != "endTurn" || res.Role != "assistant" {
		t.Fatalf("CreateMessage = %+v, %v", res, err)
	}
	want := `{"messages":[{"role":"user","content":{"type":"text","text":"hello"}},{"role":"user","content":{"type":"image","data":"AQI=","mimeType":"image/png"}}],"maxTokens":1000,"modelPreferences":{"hints":[{"name":"claude"}]}}`
	if len(h.clientRequests) != 1 || h.clientRequests[0] != want {
		t.Errorf("request = %s\nwant      %s", h.clientRequests, want)
	}
	// A refusal (no grant, no client support) is an error, not a panic.
	h.sample = nil
	if _, err := newCallFor(h).Client().CreateMessage(SamplingRequest{}); err == nil || err.Error() != "the client has no sampling" {
		t.Errorf("refused sampling: %v", err)
	}
	if _, err := newCallFor(h).Client().CreateMessage(SamplingRequest{Messages: []SamplingMessage{{Role: "user", Content: Content{Type: "resource_link"}}}}); err == nil {
		t.Error("a resource_link sampling message was accepted")
	}
}

func TestElicit(t *testing.T) {
	h := &fakeHost{t: t, elicit: func(req []byte) []byte {
		return []byte(`{"result":{"action":"accept","content":{"name":"Ada","age":36}}}`)
	}}
	res, err := newCallFor(h).Client().Elicit("Who?", NewForm().Text("name", TextField{Required: true}))
	if err != nil || !res.Accepted() {
		t.Fatalf("Elicit = %+v, %v", res, err)
	}
	var v struct {
		Name string
		Age  int
	}
	if err := res.Decode(&v); err != nil || v.Name != "Ada" || v.Age != 36 {
		t.Fatalf("Decode = %+v, %v", v, err)
	}
	if want := `{"message":"Who?","requestedSchema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}`; h.clientRequests[0] != want {
		t.Errorf("request = %s\nwant      %s", h.clientRequests[0], want)
	}
	h.elicit = func([]byte) []byte { return []byte(`{"result":{"action":"decline"}}`) }
	res, err = newCallFor(h).Client().Elicit("Who?", nil)
	if err != nil || res.Accepted() || res.Decode(&v) == nil {
		t.Fatalf("declined Elicit = %+v, %v", res, err)
	}
	var raw map[string]any
	if json.Unmarshal([]byte(h.clientRequests[1]), &raw); raw["requestedSchema"] == nil {
		t.Errorf("a nil form sent no schema: %s", h.clientRequests[1])
	}
}

func newCallFor(h *fakeHost) *Call {
	return newInstance(h, &registration{name: "fake"}).newCall("fake")
}
