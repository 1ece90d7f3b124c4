package jsonread_test

import (
	"fmt"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// A history entry's status, read in one pass: members not read are
// skipped, and End reports the first error, if any.
func Example() {
	body := []byte(`{"status_str": "success", "completed": true, "messages": [["execution_start", {"timestamp": 1795750301018}]]}`)
	var status string
	var completed bool
	var started int64
	r := jsonread.New(body)
	r.Object(func(key string) {
		switch key {
		case "status_str":
			status = r.String()
		case "completed":
			completed = r.Bool()
		case "messages":
			r.Array(func(int) {
				var name string
				r.Array(func(i int) {
					switch {
					case i == 0:
						name = r.String()
					case i == 1 && name == "execution_start":
						r.Object(func(key string) {
							if key == "timestamp" {
								started = r.Int()
							}
						})
					}
				})
			})
		}
	})
	if err := r.End(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(status, completed, started)
	// Output: success true 1795750301018
}
