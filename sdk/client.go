package sdk

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Client is the MCP client the current request came from: the agent's
// application (Claude Desktop, an IDE, an SDK client). Through it a plugin
// sends log messages the user can see, asks the client's model for a
// completion (sampling) and asks the user for input (elicitation). Every
// use goes through the host, which may refuse a capability tools.yaml does
// not grant; a refusal is an error, never a panic.
//
// Sampling and elicitation block the call until the client answers; the
// host bounds them by the call's timeout and the client's cancellation.
type Client struct {
	host host
}

// Client returns the MCP client of this call.
func (c *Call) Client() *Client { return &Client{host: c.inst.host} }

// LogLevel is an MCP log level (RFC 5424 severity).
type LogLevel string

// The MCP log levels, least severe first.
const (
	LogDebug     LogLevel = "debug"
	LogInfo      LogLevel = "info"
	LogNotice    LogLevel = "notice"
	LogWarning   LogLevel = "warning"
	LogError     LogLevel = "error"
	LogCritical  LogLevel = "critical"
	LogAlert     LogLevel = "alert"
	LogEmergency LogLevel = "emergency"
)

// Log sends a notifications/message to the client: data (a string, or
// any value that encodes as JSON) at level, from logger (may be empty).
// The host sends it only when level is at or above what the client asked
// for with logging/setLevel; Log reports whether it was sent. Unlike
// Call.Logger, which writes to the operator's log, this reaches the user.
func (cl *Client) Log(level LogLevel, logger string, data any) bool {
	d, err := json.Marshal(data)
	if err != nil {
		d, _ = json.Marshal(fmt.Sprintf("%v", data))
	}
	msg, _ := json.Marshal(struct {
		Level  LogLevel        `json:"level"`
		Logger string          `json:"logger,omitempty"`
		Data   json.RawMessage `json:"data"`
	}{level, logger, d})
	return cl.host.clientLog(msg)
}

// SamplingRequest asks the client's model for one message
// (sampling/createMessage). The client may show it to the user first and
// may choose another model than the preferences suggest.
type SamplingRequest struct {
	// Messages is the conversation so far; roles are "user" and
	// "assistant", content is text, image or audio.
	Messages []SamplingMessage
	// SystemPrompt is an optional system prompt.
	SystemPrompt string
	// MaxTokens bounds the answer; MCP requires it, so 0 is sent as 1000.
	MaxTokens int
	// Temperature, when not nil, is passed on.
	Temperature *float64
	// StopSequences are passed on.
	StopSequences []string
	// ModelHints name models in order of preference ("claude-3-5-sonnet").
	ModelHints []string
}

// SamplingMessage is one message of a sampling conversation.
type SamplingMessage struct {
	Role    string
	Content Content
}

// SamplingResult is the client's answer to a sampling request.
type SamplingResult struct {
	Role       string
	Content    Content
	Model      string
	StopReason string
}

// CreateMessage runs sampling/createMessage and returns the client's
// answer. An error means the client could not or would not answer (it has
// no sampling, the user declined, the host does not permit it).
func (cl *Client) CreateMessage(req SamplingRequest) (*SamplingResult, error) {
	type content struct {
		Type     string `json:"type"`
		Text     string `json:"text,omitempty"`
		Data     string `json:"data,omitempty"`
		MimeType string `json:"mimeType,omitempty"`
	}
	type message struct {
		Role    string  `json:"role"`
		Content content `json:"content"`
	}
	type hint struct {
		Name string `json:"name"`
	}
	params := struct {
		Messages         []message `json:"messages"`
		SystemPrompt     string    `json:"systemPrompt,omitempty"`
		MaxTokens        int       `json:"maxTokens"`
		Temperature      *float64  `json:"temperature,omitempty"`
		StopSequences    []string  `json:"stopSequences,omitempty"`
		ModelPreferences *struct {
			Hints []hint `json:"hints"`
		} `json:"modelPreferences,omitempty"`
	}{SystemPrompt: req.SystemPrompt, MaxTokens: req.MaxTokens, Temperature: req.Temperature, StopSequences: req.StopSequences}
	if params.MaxTokens <= 0 {
		params.MaxTokens = 1000
	}
	for _, m := range req.Messages {
		c := content{Type: m.Content.Type, Text: m.Content.Text, MimeType: m.Content.MimeType}
		switch m.Content.Type {
		case "text":
		case "image", "audio":
			c.Data = base64.StdEncoding.EncodeToString(m.Content.Data)
		default:
			return nil, fmt.Errorf("sdk: a sampling message cannot carry %q content, only text, image or audio", m.Content.Type)
		}
		params.Messages = append(params.Messages, message{m.Role, c})
	}
	if len(req.ModelHints) > 0 {
		params.ModelPreferences = &struct {
			Hints []hint `json:"hints"`
		}{}
		for _, h := range req.ModelHints {
			params.ModelPreferences.Hints = append(params.ModelPreferences.Hints, hint{h})
		}
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("sdk: sampling request: %w", err)
	}
	raw, err := clientAnswer(cl.host.clientSample(b), "sampling/createMessage")
	if err != nil {
		return nil, err
	}
	var r struct {
		Role       string  `json:"role"`
		Content    content `json:"content"`
		Model      string  `json:"model"`
		StopReason string  `json:"stopReason"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("sdk: the client's sampling answer is malformed: %v", err)
	}
	out := &SamplingResult{Role: r.Role, Model: r.Model, StopReason: r.StopReason,
		Content: Content{Type: r.Content.Type, Text: r.Content.Text, MimeType: r.Content.MimeType}}
	if r.Content.Data != "" {
		if out.Content.Data, err = base64.StdEncoding.DecodeString(r.Content.Data); err != nil {
			return nil, fmt.Errorf("sdk: the client's sampling answer has invalid base64 data: %v", err)
		}
	}
	return out, nil
}

// ElicitResult is the user's answer to an elicitation.
type ElicitResult struct {
	// Action is "accept" (Content holds the form's values), "decline" or
	// "cancel".
	Action string
	// Content is the submitted values as a JSON object; empty unless
	// accepted.
	Content json.RawMessage
}

// Accepted reports whether the user submitted the form.
func (r *ElicitResult) Accepted() bool { return r.Action == "accept" }

// Decode decodes the submitted values into v (a pointer, usually to a
// struct whose json tags name the form's fields).
func (r *ElicitResult) Decode(v any) error {
	if len(r.Content) == 0 {
		return fmt.Errorf("sdk: the elicitation was %sed, there are no values", r.Action)
	}
	return json.Unmarshal(r.Content, v)
}

// Elicit asks the user, through the client, to fill in form
// (elicitation/create) and returns the answer. message tells the user what
// is asked and why. An error means the client could not ask (it has no
// elicitation, the host does not permit it); a user who declines is an
// answer, not an error.
func (cl *Client) Elicit(message string, form *Form) (*ElicitResult, error) {
	if form == nil {
		form = NewForm()
	}
	b, err := json.Marshal(omap{{"message", message}, {"requestedSchema", form.schema()}})
	if err != nil {
		return nil, fmt.Errorf("sdk: elicitation request: %w", err)
	}
	raw, err := clientAnswer(cl.host.clientElicit(b), "elicitation/create")
	if err != nil {
		return nil, err
	}
	var r struct {
		Action  string          `json:"action"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("sdk: the client's elicitation answer is malformed: %v", err)
	}
	if string(r.Content) == "null" {
		r.Content = nil
	}
	return &ElicitResult{Action: r.Action, Content: r.Content}, nil
}

// clientAnswer unpacks a client_sample or client_elicit answer:
// {"result": ...} or {"error": "..."}.
func clientAnswer(answer []byte, method string) (json.RawMessage, error) {
	var a struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return nil, fmt.Errorf("sdk: the host's %s answer is malformed: %v", method, err)
	}
	if a.Error != "" {
		return nil, errors.New(a.Error)
	}
	if len(a.Result) == 0 {
		return nil, fmt.Errorf("sdk: the host's %s answer has no result", method)
	}
	return a.Result, nil
}
