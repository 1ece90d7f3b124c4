package plugin

import (
	"encoding/json"
	"testing"
)

func TestWithTextItem(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`{"structuredContent":{"n":1,"s":"a\"b"}}`, `{"content":[{"type":"text","text":"{\"n\":1,\"s\":\"a\\\"b\"}"}],"structuredContent":{"n":1,"s":"a\"b"}}`},
		{`{"structuredContent":{"n":1},"isError":true}`, `{"content":[{"type":"text","text":"{\"n\":1}"}],"isError":true,"structuredContent":{"n":1}}`},
		{`{"content":[],"structuredContent":{"n":1}}`, `{"content":[],"structuredContent":{"n":1}}`},
		{`{"content":[{"type":"text","text":"hi"}]}`, `{"content":[{"type":"text","text":"hi"}]}`},
		{`{"content":null,"structuredContent":{"n":1}}`, `{"content":[{"type":"text","text":"{\"n\":1}"}],"structuredContent":{"n":1}}`},
		{`{"structuredContent":[1]}`, `{"structuredContent":[1]}`},
		{`not json`, `not json`},
	}
	for _, tt := range tests {
		if got := WithTextItem(json.RawMessage(tt.raw)); string(got) != tt.want {
			t.Errorf("WithTextItem(%s)\n got %s\nwant %s", tt.raw, got, tt.want)
		}
	}
}
