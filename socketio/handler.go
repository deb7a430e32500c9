package socketio

import (
	"fmt"
	"reflect"

	"github.com/gosio/sio/internal/parser"
)

// eventHandler is a handler function given to [Socket.On], analysed once.
type eventHandler struct {
	fn       reflect.Value
	in       []reflect.Type
	ack      int  // index of the Ack parameter, or -1
	variadic bool // the last parameter is variadic and takes the rest
	errOut   bool // returns an error
	direct   func(args Args, ack Ack)
}

// newHandler analyses fn, which must be a function. Its parameters receive
// the event's arguments in order, each decoded into the parameter's type:
//
//   - an [Ack] parameter, anywhere, receives the ack callback and takes no
//     argument;
//   - []byte receives binary data;
//   - any receives the JSON value decoded as encoding/json does into an
//     interface (numbers as float64), with binary data as []byte;
//   - [Raw] receives the argument undecoded; [Args] (last) receives every
//     remaining argument undecoded;
//   - any other type is decoded with encoding/json; []byte fields inside
//     structs receive binary data.
//
// A final variadic parameter receives every remaining argument. Missing
// arguments leave their parameter at its zero value. fn may return nothing
// or an error, which is logged.
func newHandler(fn any) *eventHandler {
	switch f := fn.(type) {
	case func(Args, Ack):
		return &eventHandler{direct: f}
	case func(Args):
		return &eventHandler{direct: func(a Args, _ Ack) { f(a) }}
	case func():
		return &eventHandler{direct: func(Args, Ack) { f() }}
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func {
		panic(fmt.Sprintf("socketio: handler must be a function, got %T", fn))
	}
	h := &eventHandler{fn: v, ack: -1, variadic: t.IsVariadic()}
	for i := 0; i < t.NumIn(); i++ {
		p := t.In(i)
		if p == ackType {
			if h.ack >= 0 {
				panic("socketio: handler has two Ack parameters")
			}
			h.ack = i
		}
		h.in = append(h.in, p)
	}
	switch {
	case t.NumOut() == 0:
	case t.NumOut() == 1 && t.Out(0) == errorType:
		h.errOut = true
	default:
		panic(fmt.Sprintf("socketio: handler must return nothing or an error, got %v", t))
	}
	if h.variadic && h.ack == t.NumIn()-1 {
		panic("socketio: the variadic parameter of a handler cannot be an Ack")
	}
	return h
}

// call decodes args into the handler's parameters and calls it.
func (h *eventHandler) call(event string, args Args, ack Ack) error {
	if h.direct != nil {
		h.direct(args, ack)
		return nil
	}
	in := make([]reflect.Value, len(h.in))
	next := 0
	for i, p := range h.in {
		switch {
		case i == h.ack:
			in[i] = reflect.ValueOf(ack)
		case h.variadic && i == len(h.in)-1:
			rest := args[min(next, len(args)):]
			sl := reflect.MakeSlice(p, len(rest), len(rest))
			for j, a := range rest {
				if err := decodeArg(a, sl.Index(j).Addr().Interface()); err != nil {
					return &DecodeError{event, next + j, err}
				}
			}
			in[i] = sl
		case p == argsType:
			rest := args[min(next, len(args)):]
			in[i] = reflect.ValueOf(rest)
			next = len(args)
		default:
			ptr := reflect.New(p)
			if next < len(args) {
				if err := decodeArg(args[next], ptr.Interface()); err != nil {
					return &DecodeError{event, next, err}
				}
			}
			next++
			in[i] = ptr.Elem()
		}
	}
	var out []reflect.Value
	if h.variadic {
		out = h.fn.CallSlice(in)
	} else {
		out = h.fn.Call(in)
	}
	if h.errOut && !out[0].IsNil() {
		return out[0].Interface().(error)
	}
	return nil
}

func decodeArg(a Raw, v any) error {
	switch p := v.(type) {
	case *Raw:
		*p = a
		return nil
	case *any:
		x, err := parser.DecodeAny(a.data, a.atts)
		*p = x
		return err
	}
	return parser.DecodeInto(a.data, a.atts, v)
}

// callWithError calls a callback whose first parameter is an error with
// failure and the remaining parameters decoded from args.
func (h *eventHandler) callWithError(event string, failure error, args Args) {
	in := make([]reflect.Value, len(h.in))
	if failure != nil {
		in[0] = reflect.ValueOf(&failure).Elem()
	} else {
		in[0] = reflect.Zero(errorType)
	}
	next := 0
	for i := 1; i < len(h.in); i++ {
		p := h.in[i]
		switch {
		case h.variadic && i == len(h.in)-1:
			rest := args[min(next, len(args)):]
			sl := reflect.MakeSlice(p, len(rest), len(rest))
			for j, a := range rest {
				_ = decodeArg(a, sl.Index(j).Addr().Interface())
			}
			in[i] = sl
		case p == argsType:
			in[i] = reflect.ValueOf(args[min(next, len(args)):])
			next = len(args)
		default:
			ptr := reflect.New(p)
			if next < len(args) {
				_ = decodeArg(args[next], ptr.Interface())
			}
			next++
			in[i] = ptr.Elem()
		}
	}
	if h.variadic {
		h.fn.CallSlice(in)
	} else {
		h.fn.Call(in)
	}
}

var (
	argsType  = reflect.TypeFor[Args]()
	ackType   = reflect.TypeFor[Ack]()
	errorType = reflect.TypeFor[error]()
)
