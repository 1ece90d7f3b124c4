package comfyui

import (
	"bytes"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
)

// form builds an upload body: fields in order, then the image part named
// filename.
func form(t *testing.T, filename string, fields ...string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		w.WriteField(fields[i], fields[i+1])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="image"; filename="`+filename+`"`)
	h.Set("Content-Type", "image/png")
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write([]byte("\x89PNG"))
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func TestCheckUpload(t *testing.T) {
	tests := []struct {
		name     string
		filename string
		fields   []string
		want     string // "" = allowed
	}{
		{"plain", "cat.png", nil, ""},
		{"subfolder", "cat.png", []string{"subfolder", "pets/cats", "type", "input"}, ""},
		{"temp", "cat.png", []string{"type", "temp"}, ""},
		{"dot-dot name", "../../custom_nodes/evil.py", nil, "contains '/'"},
		{"dot-dot alone", "..", nil, "not allowed"},
		{"dot-dot subfolder", "cat.png", []string{"subfolder", "../../models"}, "not allowed"},
		{"absolute subfolder", "cat.png", []string{"subfolder", "/etc"}, "absolute"},
		{"backslash", `..\..\evil.py`, nil, "backslash"},
		{"other type", "cat.png", []string{"type", "models"}, "not output, input or temp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := form(t, tt.filename, tt.fields...)
			err := CheckUpload(ct, body)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckUpload = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckUpload = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	for _, ct := range []string{"application/json", "multipart/form-data", "text/plain; boundary=x"} {
		if err := CheckUpload(ct, []byte("{}")); err == nil {
			t.Errorf("content type %q was accepted", ct)
		}
	}
	if err := CheckUpload("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ninput\r\n--x--\r\n")); err == nil || !strings.Contains(err.Error(), "no file part") {
		t.Errorf("form without a file: %v", err)
	}
}
