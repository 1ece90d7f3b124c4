package comfy

import (
	"encoding/json"
	"strconv"
)

// AppendJSON appends st as json.Marshal writes it, for sdk.Tool's
// EncodeOutput: get_job_status answers a JobStatus on every poll, and
// encoding/json's reflection was a tenth of such a call in WebAssembly.
// TestJobStatusAppendJSONIsMarshal and FuzzJobStatusAppendJSON hold the
// two equal. (A type that embeds JobStatus, as wait_for_job's answer
// does, has this method too; it writes only the JobStatus.)
func (st JobStatus) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"prompt_id":`...)
	b = appendString(b, st.PromptID)
	if st.Backend != "" {
		b = append(b, `,"backend":`...)
		b = appendString(b, st.Backend)
	}
	b = appendBool(append(b, `,"found":`...), st.Found)
	b = appendBool(append(b, `,"running":`...), st.Running)
	b = appendBool(append(b, `,"pending":`...), st.Pending)
	b = appendBool(append(b, `,"done":`...), st.Done)
	if st.QueuePosition != 0 {
		b = strconv.AppendInt(append(b, `,"queue_position":`...), int64(st.QueuePosition), 10)
	}
	if st.Outcome != "" {
		b = appendString(append(b, `,"outcome":`...), st.Outcome)
	}
	if st.StatusStr != "" {
		b = appendString(append(b, `,"status_str":`...), st.StatusStr)
	}
	if st.Interrupted {
		b = append(b, `,"interrupted":true`...)
	}
	if st.Error != nil {
		b = st.Error.appendJSON(append(b, `,"error":`...))
	}
	if s := st.ExecutionStats; s != nil {
		b = append(b, `,"execution_stats":{`...)
		comma := false
		for _, f := range [...]struct {
			key string
			v   int64
		}{{`"start_timestamp":`, s.StartTimestamp}, {`"end_timestamp":`, s.EndTimestamp}, {`"total_duration_ms":`, s.TotalDurationMS}} {
			if f.v != 0 {
				if comma {
					b = append(b, ',')
				}
				b, comma = strconv.AppendInt(append(b, f.key...), f.v, 10), true
			}
		}
		if comma {
			b = append(b, ',')
		}
		b = append(b, `"cached_nodes":`...)
		if s.CachedNodes == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i, n := range s.CachedNodes {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, n)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func (e *ExecError) appendJSON(b []byte) []byte {
	b = appendString(append(b, `{"node_id":`...), e.NodeID)
	b = appendString(append(b, `,"node_type":`...), e.NodeType)
	b = appendString(append(b, `,"exception_type":`...), e.ExceptionType)
	b = appendString(append(b, `,"exception_message":`...), e.ExceptionMessage)
	if e.Traceback != "" {
		b = appendString(append(b, `,"traceback":`...), e.Traceback)
	}
	if e.TracebackTruncated {
		b = append(b, `,"traceback_truncated":true`...)
	}
	if e.OutOfMemory {
		b = append(b, `,"out_of_memory":true`...)
	}
	if e.Advice != "" {
		b = appendString(append(b, `,"advice":`...), e.Advice)
	}
	return append(b, '}')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendString appends s as encoding/json writes a string. An ASCII
// string with nothing to escape, what IDs and statuses are, is copied;
// anything else goes through json.Marshal, so that escaping is exactly
// encoding/json's.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
