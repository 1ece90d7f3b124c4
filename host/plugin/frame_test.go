package plugin

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var requestHeaderSeeds = []string{
	`{"method":"GET","path":"/history/x"}`,
	`{"method":"POST","path":"/upload/image","content_type":"multipart/form-data; boundary=x","backend":"b1","job":"b1.j"}`,
	`{"method":"GET","path":"/view","query":{"filename":"a<&>\"é.png","type":"output"}}`,
	`{"method":"GET","path":"/q","query":{"a":"1"},"query":{"b":"2","a":null}}`,
	`{"method":null,"path":"/p","unknown":[1,{"x":2}],"job":""}`,
	`{"method":"GET","path":"/history/x","job":"x","select":"/x/status"}`, `{"select":1}`, `{"select":null}`,
	`{"method":"GET","path":"/queue","omit":["/queue_running/*/2","/queue_pending/*/2"]}`, `{"omit":[]}`, `{"omit":null}`,
	`{"omit":["/a",null,"/b"]}`, `{"omit":["/a"],"omit":["/b"]}`, `{"omit":"/a"}`, `{"omit":[1]}`, `{"omit":{}}`,
	` { "method" : "GET" , "path" : "\u002fqueue" } `,
	`{"method":5}`, `null`, ` null x`, `{"query":[]}`, `{"query":{"a":1}}`, `[]`, `{"method":"GET"} x`, `{"method":"GET"`, `{"path":"\xff"}`,
}

// FuzzRequestHeaderIsEncodingJSON holds the comfyui_request header reader
// to encoding/json's decoding into the same struct: it accepts what
// encoding/json accepts, to the same values. (encoding/json also matches
// keys in other cases, which docs/abi.md does not allow; inputs with such
// a key are only checked not to crash.)
func FuzzRequestHeaderIsEncodingJSON(f *testing.F) {
	for _, s := range requestHeaderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return // a frame's header line has none
		}
		var got, want requestHeader
		err := got.read(line)
		werr := json.Unmarshal(line, &want)
		if keyInOtherCase(line) {
			return // encoding/json may have matched it to a member
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: read %v, encoding/json %v", line, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read %+v, encoding/json %+v", line, got, want)
		}
	})
}

// keyInOtherCase reports whether line is an object with a key that has
// an upper-case letter.
func keyInOtherCase(line []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return false
	}
	for k := range m {
		if strings.ToLower(k) != k {
			return true
		}
	}
	return false
}

func TestFrameResponseIsJSONMarshal(t *testing.T) {
	for _, h := range []responseHeader{
		{Status: 200, ContentType: "application/json", URL: "http://127.0.0.1:8188/history/x"},
		{Error: "ComfyUI unreachable at http://h:8188/queue: connection refused"},
		{Status: 404, ContentType: "text/plain; charset=utf-8", URL: "http://h/a?b=<c>&d=\u2028", Backend: "b\"1"},
		{Status: 200, ContentType: "application/json", URL: "http://h/history/x", Backend: "b1", Selected: true},
		{Status: 200, Selected: true, Error: "both, which the host never sends"},
		{},
	} {
		want, _ := json.Marshal(h)
		want = append(append(want, '\n'), "body"...)
		if got := frameResponse(h, []byte("body")); !bytes.Equal(got, want) {
			t.Errorf("frameResponse %s\njson.Marshal  %s", got, want)
		}
	}
}
