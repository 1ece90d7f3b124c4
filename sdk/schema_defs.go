package sdk

import (
	"encoding/json"
	"reflect"
)

// defs are the struct types that an output schema describes once, under
// "$defs", and refers to wherever they occur. Every byte of a tool's
// schemas is sent to the client in each tools/list, and a type that
// appears several times (memory figures per device and per server, say)
// would otherwise be spelled out each time.
type defs struct {
	name  map[reflect.Type]string
	body  map[reflect.Type]omap
	order []reflect.Type // in the order they were rendered, for stable JSON
}

// isDefName says whether a type may be called name in $defs: a plain Go
// identifier in ASCII, so that "#/$defs/Name" needs no escaping.
func isDefName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return name != ""
}

// refPrefix is the constant part of a reference, {"$ref":"#/$defs/Name"}.
const refPrefix = `{"$ref":"#/$defs/"}`

// outputSchema renders the schema of a handler's answer: like schema, but
// with each struct type that occurs several times described once under
// "$defs" when that makes the schema shorter. An occurrence that may be
// null is written in place, so that its type can say so.
func (n *node) outputSchema() omap {
	d := sharedStructs(n)
	s := n.render(d)
	if d == nil || len(d.order) == 0 {
		return s
	}
	var list omap
	for _, t := range d.order {
		list = append(list, member{d.name[t], d.body[t]})
	}
	return append(s, member{"$defs", list})
}

// ref returns the name under which n is described in d's $defs, rendering
// its description there on first use. A nil d describes nothing.
func (d *defs) ref(n *node, nullable bool) (string, bool) {
	if d == nil || nullable || n.kind != kStruct {
		return "", false
	}
	name, ok := d.name[n.typ]
	if ok && d.body[n.typ] == nil {
		d.body[n.typ] = omap{} // compile refuses recursive types, so this is never referred to
		d.body[n.typ] = n.inline(false, d)
		d.order = append(d.order, n.typ)
	}
	return name, ok
}

// sharedStructs finds the struct types below root worth describing once:
// those that occur more than once, not nullable, render the same
// everywhere, have a name fit for $defs, and whose references and single
// description are shorter than the copies. It returns nil if there are
// none.
func sharedStructs(root *node) *defs {
	type use struct {
		count  int
		inline []byte
		same   bool
	}
	uses := map[reflect.Type]*use{}
	var order []reflect.Type
	var walk func(n *node, top bool)
	walk = func(n *node, top bool) {
		nullable := n.nullable
		for n.kind == kPtr {
			n = n.elem
		}
		if n.kind == kStruct && !nullable && !top {
			b, _ := json.Marshal(n.inline(false, nil))
			u := uses[n.typ]
			if u == nil {
				u = &use{inline: b, same: true}
				uses[n.typ] = u
				order = append(order, n.typ)
			}
			u.count++
			u.same = u.same && string(b) == string(u.inline)
		}
		switch n.kind {
		case kSlice, kArray, kMap:
			walk(n.elem, false)
		case kStruct:
			for _, f := range n.fields {
				walk(f.node, false)
			}
		}
	}
	walk(root, true)
	d := &defs{name: map[reflect.Type]string{}, body: map[reflect.Type]omap{}}
	taken := map[string]bool{}
	for _, t := range order {
		u, name := uses[t], t.Name()
		if u.count < 2 || !u.same || !isDefName(name) || taken[name] {
			continue
		}
		// One copy stays, as "Name":{...}, under ,"$defs":{...} (counted
		// for each type, to err on the side of writing it in place).
		saved := (u.count-1)*len(u.inline) - len(name) - 4 - len(`,"$defs":{}`) - u.count*(len(refPrefix)+len(name))
		if saved <= 0 {
			continue
		}
		d.name[t], taken[name] = name, true
	}
	if len(d.name) == 0 {
		return nil
	}
	return d
}
