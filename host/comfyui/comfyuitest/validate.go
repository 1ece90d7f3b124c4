package comfyuitest

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// This file is execution.validate_prompt and validate_inputs of ComfyUI 0.3.64, against the
// embedded catalog: the same checks in the same order, the same error objects, and the same
// quirks (a node's errors are listed once with every failed output it blocks; an exception
// inside validation becomes an error entry with a traceback).

// pyExc is a Python exception raised inside validation or a node: its qualified type name,
// str(exception), and formatted traceback frames.
type pyExc struct {
	typ, msg string
	tb       []string
}

// valResult is an entry of validate_prompt's `validated` dict.
type valResult struct {
	ok      bool
	reasons []any // error objects
}

// validation is the outcome of validatePrompt.
type validation struct {
	good       []string // outputs_to_execute
	err        *object  // top-level error when no output is valid
	nodeErrors *object
	fatal      bool // an uncaught Python exception: the handler answers 500
}

type validator struct {
	cat        *catalog
	files      *fileStore
	prompt     *object
	order      []string // keys of validated, in insertion order
	validated  map[string]valResult
	inProgress map[string]bool
}

func promptError(typ, message, details string) *object {
	return newObject("type", typ, "message", message, "details", details, "extra_info", newObject())
}

// validatePrompt is execution.validate_prompt. partial is partial_execution_targets (nil for
// all outputs). It coerces widget values in prompt in place, as ComfyUI does.
func validatePrompt(cat *catalog, files *fileStore, prompt *object, partial []any) validation {
	var outputs []string
	for _, id := range prompt.keys {
		ct, res, ok := classTypeOf(prompt.vals[id])
		if !ok {
			return res
		}
		if ct == nil {
			return validation{err: promptError("invalid_prompt",
				"Cannot execute because a node is missing the class_type property.", "Node ID '#"+id+"'"),
				nodeErrors: newObject()}
		}
		name, _ := ct.(string)
		class, found := cat.classes[name]
		if !found {
			return validation{err: promptError("invalid_prompt",
				fmt.Sprintf("Cannot execute because node %s does not exist.", pyStr(ct)), "Node ID '#"+id+"'"),
				nodeErrors: newObject()}
		}
		if class.outputNode && (partial == nil || containsEqual(partial, id)) {
			outputs = append(outputs, id)
		}
	}
	if len(outputs) == 0 {
		return validation{err: promptError("prompt_no_outputs", "Prompt has no outputs", ""), nodeErrors: newObject()}
	}

	v := &validator{cat: cat, files: files, prompt: prompt, validated: map[string]valResult{}, inProgress: map[string]bool{}}
	var good []string
	var failed [][]any // reasons of each failed output
	nodeErrors := newObject()
	for _, o := range outputs {
		res, exc := v.validateInputs(o)
		if exc != nil {
			res = valResult{reasons: []any{newObject(
				"type", "exception_during_validation",
				"message", "Exception when validating node",
				"details", exc.msg,
				"extra_info", newObject("exception_type", exc.typ, "traceback", toAnySlice(withFrame(tbValidatePrompt, exc.tb))),
			)}}
			v.record(o, res)
		}
		if res.ok {
			good = append(good, o)
			continue
		}
		failed = append(failed, res.reasons)
		// Every node with reasons so far is reported, and gains this output as a dependent,
		// whether or not this output depends on it: that is what ComfyUI does.
		for _, id := range v.order {
			r := v.validated[id]
			if r.ok || len(r.reasons) == 0 {
				continue
			}
			entry, ok := nodeErrors.vals[id].(*object)
			if !ok {
				node := prompt.vals[id].(*object)
				ct, _ := node.get("class_type")
				entry = newObject("errors", r.reasons, "dependent_outputs", []any{}, "class_type", ct)
				nodeErrors.set(id, entry)
			}
			entry.set("dependent_outputs", append(entry.vals["dependent_outputs"].([]any), o))
		}
	}
	if len(good) == 0 {
		var lines []string
		for _, reasons := range failed {
			for _, r := range reasons {
				e := r.(*object)
				lines = append(lines, e.str("message")+": "+e.str("details"))
			}
		}
		return validation{err: promptError("prompt_outputs_failed_validation", "Prompt outputs failed validation",
			strings.Join(lines, "\n")), nodeErrors: nodeErrors}
	}
	return validation{good: good, nodeErrors: nodeErrors}
}

// classTypeOf evaluates `'class_type' in node` and `node['class_type']` with Python's rules.
// ok is false when Python would raise (the request ends in a 500).
func classTypeOf(node any) (ct any, res validation, ok bool) {
	fatal := validation{fatal: true}
	switch n := node.(type) {
	case *object:
		v, has := n.get("class_type")
		if !has {
			return nil, res, true
		}
		switch v.(type) {
		case []any, *object:
			return nil, fatal, false // unhashable in NODE_CLASS_MAPPINGS.get
		}
		if v == nil {
			return "None", res, true
		}
		return v, res, true
	case string:
		if !strings.Contains(n, "class_type") {
			return nil, res, true
		}
	case []any:
		if !containsEqual(n, "class_type") {
			return nil, res, true
		}
	}
	return nil, fatal, false
}

func (v *validator) record(id string, r valResult) {
	if _, ok := v.validated[id]; !ok {
		v.order = append(v.order, id)
	}
	v.validated[id] = r
}

// validateInputs is execution.validate_inputs. A non-nil exception is one Python would raise
// out of the function, to be caught by the caller.
func (v *validator) validateInputs(id string) (valResult, *pyExc) {
	if r, ok := v.validated[id]; ok {
		return r, nil
	}
	if v.inProgress[id] {
		// A dependency cycle. ComfyUI recurses until Python's recursion limit; when the
		// frames unwind, every node of the cycle ends up invalid without reasons.
		return valResult{}, nil
	}
	v.inProgress[id] = true
	defer delete(v.inProgress, id)

	node := v.prompt.vals[id].(*object)
	ctv, _ := node.get("class_type")
	ct, _ := ctv.(string)
	class := v.cat.classes[ct]
	rawInputs, has := node.get("inputs")
	if !has {
		return valResult{}, &pyExc{typ: "KeyError", msg: "'inputs'", tb: []string{tbInputs}}
	}
	inputs, isObj := rawInputs.(*object)
	if !isObj {
		if exc := checkNonObjectInputs(class, rawInputs); exc != nil {
			return valResult{}, exc
		}
		inputs = newObject() // none of the declared inputs is present
	}
	custom := customValidators[ct]

	var errs []any
	valid := true
	for _, in := range class.inputs {
		val, present := inputs.get(in.name)
		if !present {
			if in.category == "required" {
				errs = append(errs, newObject("type", "required_input_missing", "message", "Required input is missing",
					"details", in.name, "extra_info", newObject("input_name", in.name)))
			}
			continue
		}
		info := in.config()
		if link, ok := val.([]any); ok {
			if len(link) != 2 {
				errs = append(errs, newObject("type", "bad_linked_input",
					"message", "Bad linked input, must be a length-2 list of [node_id, slot_index]",
					"details", in.name,
					"extra_info", newObject("input_name", in.name, "input_config", info, "received_value", val)))
				continue
			}
			oid, received, exc := v.linkedType(link)
			if exc != nil {
				return valResult{}, exc
			}
			if !typesMatch(received, in.typ) {
				errs = append(errs, newObject("type", "return_type_mismatch",
					"message", "Return type mismatch between linked nodes",
					"details", fmt.Sprintf("%s, received_type(%s) mismatch input_type(%s)", in.name, pyStr(received), pyStr(in.typ)),
					"extra_info", newObject("input_name", in.name, "input_config", info, "received_type", received, "linked_node", val)))
				continue
			}
			r, exc := v.validateInputs(oid)
			if exc != nil {
				valid = false
				v.record(oid, valResult{reasons: []any{newObject(
					"type", "exception_during_inner_validation",
					"message", "Exception when validating inner node",
					"details", exc.msg,
					"extra_info", newObject("input_name", in.name, "input_config", info, "exception_message", exc.msg,
						"exception_type", exc.typ, "traceback", toAnySlice(withFrame(tbValidateInner, exc.tb)), "linked_node", val),
				)}})
				continue
			}
			if !r.ok {
				valid = false
			}
			continue
		}

		if o, ok := val.(*object); ok {
			if inner, ok := o.get("__value__"); ok {
				val = inner
				inputs.set(in.name, val)
			}
		}
		if name, ok := in.typ.(string); ok {
			converted, exc := convertWidget(name, val)
			if exc != nil {
				errs = append(errs, newObject("type", "invalid_input_type",
					"message", fmt.Sprintf("Failed to convert an input value to a %s value", name),
					"details", fmt.Sprintf("%s, %s, %s", in.name, pyStr(val), exc.msg),
					"extra_info", newObject("input_name", in.name, "input_config", info, "received_value", val, "exception_message", exc.msg)))
				continue
			}
			if converted != nil {
				val = converted
				inputs.set(in.name, val)
			}
		}
		if custom != nil && custom.inputs[in.name] {
			continue // the class's VALIDATE_INPUTS takes this input: no range or list check
		}
		if e := rangeError(in, val, info); e != nil {
			errs = append(errs, e)
			continue
		}
		options, isCombo := in.typ.([]any)
		if models, ok := v.files.modelOptions(class.name, in.name); ok && isCombo {
			options = append(append([]any{}, models...), options...)
		}
		if isCombo && !containsEqual(options, val) {
			// ComfyUI lists the choices as they are at validation time:
			// with model files, the folder's, not the catalog's empty list.
			listInfo, config := pyRepr(options), any([]any{options, in.opts})
			if len(options) > 20 {
				listInfo, config = fmt.Sprintf("(list of length %d)", len(options)), nil
			}
			errs = append(errs, newObject("type", "value_not_in_list", "message", "Value not in list",
				"details", fmt.Sprintf("%s: '%s' not in %s", in.name, pyStr(val), listInfo),
				"extra_info", newObject("input_name", in.name, "input_config", config, "received_value", val)))
			continue
		}
	}

	if custom != nil {
		more, exc := custom.validate(v, class, inputs)
		if exc != nil {
			return valResult{}, exc
		}
		errs = append(errs, more...)
	}
	r := valResult{ok: len(errs) == 0 && valid, reasons: errs}
	v.record(id, r)
	return r, nil
}

// checkNonObjectInputs evaluates `x not in inputs` and `inputs[x]` for inputs that are not a
// dict: a string or list is searched, anything else raises.
func checkNonObjectInputs(class *nodeClass, raw any) *pyExc {
	for _, in := range class.inputs {
		switch r := raw.(type) {
		case string:
			if strings.Contains(r, in.name) {
				return &pyExc{typ: "TypeError", msg: "string indices must be integers, not 'str'", tb: []string{tbInputValue}}
			}
		case []any:
			if containsEqual(r, in.name) {
				return &pyExc{typ: "TypeError", msg: "list indices must be integers or slices, not str", tb: []string{tbInputValue}}
			}
		default:
			return &pyExc{typ: "TypeError", msg: fmt.Sprintf("argument of type '%s' is not iterable", pyTypeName(raw)), tb: []string{tbInputValue}}
		}
	}
	return nil
}

// linkedType resolves `prompt[o_id]['class_type']` and `RETURN_TYPES[slot]` for a link.
func (v *validator) linkedType(link []any) (string, any, *pyExc) {
	oid, ok := link[0].(string)
	if !ok {
		switch link[0].(type) {
		case []any, *object:
			return "", nil, &pyExc{typ: "TypeError", msg: fmt.Sprintf("unhashable type: '%s'", pyTypeName(link[0])), tb: []string{tbLinkedNode}}
		}
		return "", nil, &pyExc{typ: "KeyError", msg: pyRepr(link[0]), tb: []string{tbLinkedNode}}
	}
	onode, ok := v.prompt.vals[oid]
	if !ok {
		return "", nil, &pyExc{typ: "KeyError", msg: reprString(oid), tb: []string{tbLinkedNode}}
	}
	ctv, _ := onode.(*object).get("class_type")
	ct, _ := ctv.(string)
	outs := v.cat.classes[ct].outputs
	var idx int
	switch s := link[1].(type) {
	case json.Number:
		if isFloatLiteral(s) {
			return "", nil, &pyExc{typ: "TypeError", msg: "tuple indices must be integers or slices, not float", tb: []string{tbReturnType}}
		}
		n, err := strconv.Atoi(string(s))
		if err != nil {
			n = math.MaxInt32
		}
		idx = n
	case bool:
		if s {
			idx = 1
		}
	default:
		return "", nil, &pyExc{typ: "TypeError",
			msg: fmt.Sprintf("tuple indices must be integers or slices, not %s", pyTypeName(s)), tb: []string{tbReturnType}}
	}
	if idx < 0 {
		idx += len(outs)
	}
	if idx < 0 || idx >= len(outs) {
		return "", nil, &pyExc{typ: "IndexError", msg: "tuple index out of range", tb: []string{tbReturnType}}
	}
	return oid, outs[idx], nil
}

// typesMatch is comfy_execution.validation.validate_node_input (non-strict), with "*" matching
// anything as ComfyUI's IO.ANY does.
func typesMatch(received, want any) bool {
	rs, rok := received.(string)
	ws, wok := want.(string)
	if rok && wok {
		if rs == ws || rs == "*" || ws == "*" {
			return true
		}
		have := map[string]bool{}
		for _, t := range strings.Split(rs, ",") {
			have[strings.TrimSpace(t)] = true
		}
		for _, t := range strings.Split(ws, ",") {
			if have[strings.TrimSpace(t)] {
				return true
			}
		}
		return false
	}
	if rok && rs == "*" || wok && ws == "*" {
		return true
	}
	return !rok && !wok && string(canonicalJSON(received)) == string(canonicalJSON(want))
}

// rangeError checks the min and max options against a converted value.
func rangeError(in inputSpec, val any, info []any) *object {
	v, ok := numberRat(val)
	if !ok {
		return nil
	}
	for _, bound := range []struct {
		key, typ, word string
		fails          func(c int) bool
	}{
		{"min", "value_smaller_than_min", "smaller than min of", func(c int) bool { return c < 0 }},
		{"max", "value_bigger_than_max", "bigger than max of", func(c int) bool { return c > 0 }},
	} {
		limit, has := in.opts.get(bound.key)
		if !has {
			continue
		}
		l, ok := numberRat(limit)
		if !ok || !bound.fails(v.Cmp(l)) {
			continue
		}
		return newObject("type", bound.typ,
			"message", fmt.Sprintf("Value %s %s %s", pyStr(val), bound.word, pyStr(limit)),
			"details", in.name,
			"extra_info", newObject("input_name", in.name, "input_config", info, "received_value", val))
	}
	return nil
}

// convertWidget applies int(), float(), str() or bool() to a widget value, as validation
// does for INT, FLOAT, STRING and BOOLEAN inputs. It returns nil for other types.
func convertWidget(typ string, val any) (any, *pyExc) {
	switch typ {
	case "INT":
		return pyInt(val)
	case "FLOAT":
		f, exc := pyFloatOf(val)
		if exc != nil {
			return nil, exc
		}
		return f, nil
	case "STRING":
		return pyStr(val), nil
	case "BOOLEAN":
		return pyTruthy(val), nil
	}
	return nil, nil
}

// pyInt is Python's int() of a decoded JSON value, as a json.Number holding the digits.
func pyInt(val any) (any, *pyExc) {
	switch v := val.(type) {
	case json.Number:
		if !isFloatLiteral(v) {
			return json.Number(pyNumber(v)), nil
		}
		f, _ := strconv.ParseFloat(string(v), 64)
		return intOfFloat(f)
	case float64:
		return intOfFloat(v)
	case bool:
		if v {
			return json.Number("1"), nil
		}
		return json.Number("0"), nil
	case string:
		if n, ok := parsePyInt(v); ok {
			return json.Number(n), nil
		}
		return nil, &pyExc{typ: "ValueError", msg: "invalid literal for int() with base 10: " + reprString(v)}
	}
	return nil, &pyExc{typ: "TypeError",
		msg: fmt.Sprintf("int() argument must be a string, a bytes-like object or a real number, not '%s'", pyTypeName(val))}
}

func intOfFloat(f float64) (any, *pyExc) {
	switch {
	case math.IsNaN(f):
		return nil, &pyExc{typ: "ValueError", msg: "cannot convert float NaN to integer"}
	case math.IsInf(f, 0):
		return nil, &pyExc{typ: "OverflowError", msg: "cannot convert float infinity to integer"}
	}
	i, _ := big.NewFloat(math.Trunc(f)).Int(nil)
	return json.Number(i.String()), nil
}

// parsePyInt accepts what int(str) accepts: surrounding whitespace, a sign, and digits with
// single underscores between them. It returns the canonical digits.
func parsePyInt(s string) (string, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = "-"
		}
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return "", false
	}
	digits := strings.ReplaceAll(s, "_", "")
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	n, ok := new(big.Int).SetString(sign+digits, 10)
	if !ok {
		return "", false
	}
	return n.String(), true
}

// pyFloatOf is Python's float() of a decoded JSON value.
func pyFloatOf(val any) (float64, *pyExc) {
	switch v := val.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil && !isFloatLiteral(v) {
			return 0, &pyExc{typ: "OverflowError", msg: "int too large to convert to float"}
		}
		return f, nil
	case float64:
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case string:
		t := strings.ReplaceAll(strings.TrimFunc(v, unicode.IsSpace), "_", "")
		if t != "" && !strings.ContainsAny(t, "xXpP") {
			if f, err := strconv.ParseFloat(t, 64); err == nil || isRangeErr(err) {
				return f, nil
			}
		}
		return 0, &pyExc{typ: "ValueError", msg: "could not convert string to float: " + reprString(v)}
	}
	return 0, &pyExc{typ: "TypeError",
		msg: fmt.Sprintf("float() argument must be a string or a real number, not '%s'", pyTypeName(val))}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func containsEqual(list []any, v any) bool {
	for _, x := range list {
		if pyEqual(x, v) {
			return true
		}
	}
	return false
}

func toAnySlice(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func withFrame(frame string, rest []string) []string {
	return append([]string{frame}, rest...)
}

// customValidator is a node class's VALIDATE_INPUTS: the inputs it takes skip the range and
// list checks, and it may add custom_validation_failed errors.
type customValidator struct {
	inputs   map[string]bool
	validate func(v *validator, class *nodeClass, inputs *object) ([]any, *pyExc)
}

// customValidators covers the core nodes whose VALIDATE_INPUTS the emulator's workflows meet.
var customValidators = map[string]*customValidator{
	"LoadImage":     {inputs: map[string]bool{"image": true}, validate: validateImageFile},
	"LoadImageMask": {inputs: map[string]bool{"image": true}, validate: validateImageFile},
}

// validateImageFile is LoadImage.VALIDATE_INPUTS: the image must exist in the input folder
// (or the folder named by an " [output]"-style suffix).
func validateImageFile(v *validator, class *nodeClass, inputs *object) ([]any, *pyExc) {
	val, ok := inputs.get("image")
	if !ok {
		return nil, &pyExc{typ: "TypeError",
			msg: class.name + ".VALIDATE_INPUTS() missing 1 required positional argument: 'image'", tb: []string{tbCustomValidate}}
	}
	if link, isLink := val.([]any); isLink && isLinkValue(link) {
		val = nil // get_input_data passes None for links during validation
	}
	name, ok := val.(string)
	if !ok {
		return nil, &pyExc{typ: "AttributeError",
			msg: fmt.Sprintf("'%s' object has no attribute 'endswith'", pyTypeName(val)), tb: []string{tbCustomValidate, tbAnnotated}}
	}
	if v.files.existsAnnotated(name) {
		return nil, nil
	}
	return []any{newObject("type", "custom_validation_failed", "message", "Custom validation failed for node",
		"details", "image - Invalid image file: "+name, "extra_info", newObject("input_name", "image"))}, nil
}

// isLinkValue is comfy_execution.graph_utils.is_link: [str, int or float].
func isLinkValue(v []any) bool {
	if len(v) != 2 {
		return false
	}
	if _, ok := v[0].(string); !ok {
		return false
	}
	_, ok := v[1].(json.Number)
	return ok
}

// Traceback frames of validation errors. They reproduce ComfyUI 0.3.64's source lines, so a
// client that shows tracebacks shows what a real server would; tbValidatePrompt and
// tbLinkedNode are exactly the frames of post_prompt_invalid_link_to_missing_node.json.
const (
	tbValidatePrompt = "  File \"/opt/ComfyUI/execution.py\", line 1010, in validate_prompt\n    m = await validate_inputs(prompt_id, prompt, o, validated)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	tbValidateInner  = "  File \"/opt/ComfyUI/execution.py\", line 811, in validate_inputs\n    r = await validate_inputs(prompt_id, prompt, o_id, validated)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	tbLinkedNode     = "  File \"/opt/ComfyUI/execution.py\", line 788, in validate_inputs\n    o_class_type = prompt[o_id]['class_type']\n                   ~~~~~~^^^^^^\n"
	tbReturnType     = "  File \"/opt/ComfyUI/execution.py\", line 790, in validate_inputs\n    received_type = r[val[1]]\n                    ~^^^^^^^^\n"
	tbInputs         = "  File \"/opt/ComfyUI/execution.py\", line 735, in validate_inputs\n    inputs = prompt[unique_id]['inputs']\n             ~~~~~~~~~~~~~~~~~^^^^^^^^^^\n"
	tbInputValue     = "  File \"/opt/ComfyUI/execution.py\", line 771, in validate_inputs\n    if x not in inputs:\n       ^^^^^^^^^^^^^^^\n"
	tbCustomValidate = "  File \"/opt/ComfyUI/execution.py\", line 277, in process_inputs\n    result = f(**inputs)\n             ^^^^^^^^^^^\n"
	tbAnnotated      = "  File \"/opt/ComfyUI/folder_paths.py\", line 316, in annotated_filepath\n    if name.endswith(\"[output]\"):\n       ^^^^^^^^^^^^^\n"
)
