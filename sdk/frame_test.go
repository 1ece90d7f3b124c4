package sdk

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		header requestHeader
		body   []byte
		want   string // the header line
	}{
		{"get", requestHeader{Method: "GET", Path: "/queue"}, nil, `{"method":"GET","path":"/queue"}`},
		{"query", requestHeader{Method: "GET", Path: "/history", Query: map[string]string{"max_items": "5", "a": "x y"}}, nil,
			`{"method":"GET","path":"/history","query":{"a":"x y","max_items":"5"}}`},
		{"binary body with newlines", requestHeader{Method: "POST", Path: "/upload/image", ContentType: "multipart/form-data; boundary=x"},
			[]byte("--x\r\n\n\x00\xff\n"), `{"method":"POST","path":"/upload/image","content_type":"multipart/form-data; boundary=x"}`},
		{"newline inside the header", requestHeader{Method: "GET", Path: "/a\nb"}, []byte("{}"), `{"method":"GET","path":"/a\nb"}`},
		{"every member", requestHeader{Method: "GET", Path: "/view", Query: map[string]string{"filename": "a<&>\"é.png"}, ContentType: "x/y", Backend: "b1", Job: "b1.j", Select: "/a~1b/0", Omit: []string{"/*/2", "/x\"y"}}, nil,
			`{"method":"GET","path":"/view","query":{"filename":"a<&>\"é.png"},"content_type":"x/y","backend":"b1","job":"b1.j","select":"/a~1b/0","omit":["/*/2","/x\"y"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := encodeFrame(tt.header, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if line, _, _ := bytes.Cut(msg, []byte("\n")); string(line) != tt.want {
				t.Errorf("header line %s, want %s", line, tt.want)
			}
			var got requestHeader
			body, err := decodeFrame(msg, &got)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.header) || !bytes.Equal(body, tt.body) {
				t.Errorf("round trip gave %+v %q, want %+v %q", got, body, tt.header, tt.body)
			}
		})
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	tests := []struct {
		msg  string
		want string
	}{
		{`{"status":200}`, "framed message has no header line"},
		{"", "framed message has no header line"},
		{"not json\nbody", "framed message header: the header is not a JSON object"},
		{`{"status":200,}` + "\n", "framed message header: jsonread: invalid character"},
		{`["status"]` + "\n", "framed message header: the header is not a JSON object"},
		{`{"status":"200"}` + "\n", `framed message header: status "200" is not an integer`},
		{`{"status":200.5}` + "\n", `framed message header: status 200.5 is not an integer`},
		{`{"status":200,"url":7}` + "\n", `framed message header: url 7 is not a string`},
		{`{"status":-1}` + "\n", `framed message header: status -1 is not an integer`},
		{`{"status":200,"selected":"yes"}` + "\n", `framed message header: selected "yes" is not a boolean`},
		{`{"status":1000000000}` + "\n", `framed message header: status 1000000000 is not an integer`},
		{`{"status":200,"content_type":1}` + "\n", `framed message header: content_type 1 is not a string`},
	}
	for _, tt := range tests {
		var h responseHeader
		if _, err := decodeFrame([]byte(tt.msg), &h); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("decodeFrame(%q): error %v, want one containing %q", tt.msg, err, tt.want)
		}
		if _, err := decodeResponse([]byte(tt.msg), &h); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("decodeResponse(%q): error %v, want one containing %q", tt.msg, err, tt.want)
		}
	}
}

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		msg  string
		want responseHeader
		body string
	}{
		{`{"status":200,"content_type":"application/json","url":"http://h/history/x"}` + "\n{}", responseHeader{Status: 200, ContentType: "application/json", URL: "http://h/history/x"}, "{}"},
		{`{"status":0,"error":"ComfyUI unreachable at http://h"}` + "\n", responseHeader{Error: "ComfyUI unreachable at http://h"}, ""},
		{`{"status":404,"content_type":"text/plain; charset=utf-8","backend":"b1"}` + "\n404: Not Found", responseHeader{Status: 404, ContentType: "text/plain; charset=utf-8", Backend: "b1"}, "404: Not Found"},
		{`{"content_type":"application\/json","status":599}` + "\n", responseHeader{Status: 599, ContentType: "application/json"}, ""},
	}
	for _, tt := range tests {
		var h responseHeader
		body, err := decodeResponse([]byte(tt.msg), &h)
		if err != nil || h != tt.want || string(body) != tt.body {
			t.Errorf("decodeResponse(%q) = %+v %q %v, want %+v %q", tt.msg, h, body, err, tt.want, tt.body)
		}
	}
}
