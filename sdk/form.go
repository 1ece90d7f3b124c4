package sdk

// Form is what an elicitation asks the user to fill in: a flat JSON Schema
// object whose properties are strings, numbers, booleans and choices, the
// subset MCP allows in elicitation/create. Build it with NewForm and the
// field methods, which add one property each and return the form:
//
//	form := sdk.NewForm().
//		Text("name", sdk.TextField{Title: "Name", Required: true, Default: "John Doe"}).
//		Integer("age", sdk.IntegerField{Minimum: sdk.Ptr(0.0), Default: sdk.Ptr[int64](30)}).
//		Choice("status", sdk.ChoiceField{Options: sdk.Options("active", "inactive"), Default: "active"})
type Form struct {
	props    omap
	required []string
}

// NewForm returns an empty form.
func NewForm() *Form { return &Form{} }

// Ptr returns a pointer to v, for the optional numeric fields of form
// fields (defaults and bounds).
func Ptr[T any](v T) *T { return &v }

// TextField is a string property.
type TextField struct {
	Title, Description string
	Required           bool
	// Default is shown pre-filled; empty means none.
	Default              string
	MinLength, MaxLength int // 0 means no bound
	// Format is one of MCP's string formats: "email", "uri", "date",
	// "date-time"; empty means free text.
	Format string
}

// Text adds a string property.
func (f *Form) Text(name string, fd TextField) *Form {
	p := fieldHead("string", fd.Title, fd.Description)
	p = addIf(p, fd.MinLength > 0, "minLength", fd.MinLength)
	p = addIf(p, fd.MaxLength > 0, "maxLength", fd.MaxLength)
	p = addIf(p, fd.Format != "", "format", fd.Format)
	p = addIf(p, fd.Default != "", "default", fd.Default)
	return f.add(name, p, fd.Required)
}

// IntegerField is an integer property.
type IntegerField struct {
	Title, Description string
	Required           bool
	Default            *int64
	Minimum, Maximum   *float64
}

// Integer adds an integer property.
func (f *Form) Integer(name string, fd IntegerField) *Form {
	p := numberProps("integer", fd.Title, fd.Description, fd.Minimum, fd.Maximum)
	if fd.Default != nil {
		p = append(p, member{"default", *fd.Default})
	}
	return f.add(name, p, fd.Required)
}

// NumberField is a number property.
type NumberField struct {
	Title, Description string
	Required           bool
	Default            *float64
	Minimum, Maximum   *float64
}

// Number adds a number property.
func (f *Form) Number(name string, fd NumberField) *Form {
	p := numberProps("number", fd.Title, fd.Description, fd.Minimum, fd.Maximum)
	if fd.Default != nil {
		p = append(p, member{"default", *fd.Default})
	}
	return f.add(name, p, fd.Required)
}

// BooleanField is a yes/no property.
type BooleanField struct {
	Title, Description string
	Required           bool
	Default            *bool
}

// Boolean adds a boolean property.
func (f *Form) Boolean(name string, fd BooleanField) *Form {
	p := fieldHead("boolean", fd.Title, fd.Description)
	if fd.Default != nil {
		p = append(p, member{"default", *fd.Default})
	}
	return f.add(name, p, fd.Required)
}

// Option is one choice: the value the form submits and, optionally, the
// title the user sees instead.
type Option struct {
	Value, Title string
}

// Options makes untitled options from values.
func Options(values ...string) []Option {
	opts := make([]Option, len(values))
	for i, v := range values {
		opts[i] = Option{Value: v}
	}
	return opts
}

// ChoiceField is a single-choice property. Its schema is a plain "enum"
// when no option has a title, "oneOf" const/title pairs when some have,
// or, with Legacy, "enum" plus the older "enumNames" for clients that
// predate titled enums.
type ChoiceField struct {
	Title, Description string
	Required           bool
	Options            []Option
	Legacy             bool
	// Default is the value chosen in advance; empty means none.
	Default string
}

// Choice adds a single-choice property (one string among Options).
func (f *Form) Choice(name string, fd ChoiceField) *Form {
	p := fieldHead("string", fd.Title, fd.Description)
	switch {
	case fd.Legacy:
		p = append(p, member{"enum", optionValues(fd.Options)}, member{"enumNames", optionTitles(fd.Options)})
	case titled(fd.Options):
		p = append(p, member{"oneOf", constTitles(fd.Options)})
	default:
		p = append(p, member{"enum", optionValues(fd.Options)})
	}
	p = addIf(p, fd.Default != "", "default", fd.Default)
	return f.add(name, p, fd.Required)
}

// MultiChoiceField is a multiple-choice property: an array of distinct
// values among Options, "items.enum" when untitled and "items.anyOf"
// const/title pairs when titled.
type MultiChoiceField struct {
	Title, Description string
	Required           bool
	Options            []Option
	MinItems, MaxItems int // 0 means no bound
	Default            []string
}

// MultiChoice adds a multiple-choice property.
func (f *Form) MultiChoice(name string, fd MultiChoiceField) *Form {
	p := fieldHead("array", fd.Title, fd.Description)
	p = addIf(p, fd.MinItems > 0, "minItems", fd.MinItems)
	p = addIf(p, fd.MaxItems > 0, "maxItems", fd.MaxItems)
	if titled(fd.Options) {
		p = append(p, member{"items", omap{{"anyOf", constTitles(fd.Options)}}})
	} else {
		p = append(p, member{"items", omap{{"type", "string"}, {"enum", optionValues(fd.Options)}}})
	}
	p = addIf(p, fd.Default != nil, "default", fd.Default)
	return f.add(name, p, fd.Required)
}

func (f *Form) add(name string, p omap, required bool) *Form {
	f.props = append(f.props, member{name, p})
	if required {
		f.required = append(f.required, name)
	}
	return f
}

// schema is the form's requestedSchema.
func (f *Form) schema() omap {
	props := f.props
	if props == nil {
		props = omap{}
	}
	s := omap{{"type", "object"}, {"properties", props}}
	if len(f.required) > 0 {
		s = append(s, member{"required", f.required})
	}
	return s
}

func fieldHead(typ, title, description string) omap {
	p := omap{{"type", typ}}
	p = addIf(p, title != "", "title", title)
	return addIf(p, description != "", "description", description)
}

func numberProps(typ, title, description string, minimum, maximum *float64) omap {
	p := fieldHead(typ, title, description)
	if minimum != nil {
		p = append(p, member{"minimum", *minimum})
	}
	if maximum != nil {
		p = append(p, member{"maximum", *maximum})
	}
	return p
}

func addIf(p omap, cond bool, key string, v any) omap {
	if cond {
		return append(p, member{key, v})
	}
	return p
}

func titled(opts []Option) bool {
	for _, o := range opts {
		if o.Title != "" {
			return true
		}
	}
	return false
}

func optionValues(opts []Option) []string {
	vs := make([]string, len(opts))
	for i, o := range opts {
		vs[i] = o.Value
	}
	return vs
}

// optionTitles are the titles, falling back to the value.
func optionTitles(opts []Option) []string {
	ts := make([]string, len(opts))
	for i, o := range opts {
		ts[i] = o.Title
		if ts[i] == "" {
			ts[i] = o.Value
		}
	}
	return ts
}

func constTitles(opts []Option) []omap {
	titles := optionTitles(opts)
	out := make([]omap, len(opts))
	for i, o := range opts {
		out[i] = omap{{"const", o.Value}, {"title", titles[i]}}
	}
	return out
}
