// Command fdcs-oracle routes and decodes Docker Engine API requests with the
// engine's own Go code (moby 20.10, as Debian's golang-github-docker-docker-dev
// ships it), so that fdcs's router and decoder can be checked against it
// request by request (fdcs-policy/tests/oracle.rs; DESIGN.md "Tests").
//
// Input, one JSON object per line:
//
//	{"id":"...","method":"POST","target":"/v1.41/containers/create?name=x",
//	 "headers":{"Content-Type":"application/json"},"body":"<base64>"}
//
// or, to decode a body with one decoder whatever the path (used to read back
// the body fdcs forwards):
//
//	{"id":"...","decoder":"container-create","body":"<base64>"}
//
// Output, one JSON object per input line, in order:
//
//	{"id":"...","outcome":"routed","method":"POST","template":"/containers/create",
//	 "vars":{...},"version":"1.41","decoder":"container-create",
//	 "decoded":{...} | "decode_error":"...","json_content_type_error":"..."}
//
// outcome is one of
//
//	routed        a registered route matched and the version middleware let it pass
//	not_found     gorilla/mux found no route (the daemon answers 404 "page not found")
//	redirect      gorilla/mux cleans the path and answers 301 (location in "location")
//	version       the route matched, the version middleware refused (400)
//	experimental  the route matched but is experimental, disabled by default (501)
//	bad_request   net/http itself refuses the request target (400)
//	decoded       a "decoder" line: only decoded/decode_error are set
//
// The router set is the one cmd/dockerd's initRouter builds (same routers, same
// order), with nil backends: route definitions do not touch their backend, and
// no handler is ever called. The mux is built as api/server's createMux builds
// it (versionMatcher + path, then path, then the debug routes and the
// not-found handlers), and requests go through mux.Router.ServeHTTP, so path
// cleaning and redirects are gorilla/mux's own.
//
// Bodies are decoded as the route's handler decodes them: container create
// with runconfig.ContainerDecoder.DecodeConfig (legacy top-level HostConfig,
// Cpuset, default NetworkMode, the validations), everything else with
// json.NewDecoder(r.Body).Decode into the handler's api/types struct.
// Decoded values are re-encoded with encoding/json (no HTML escaping): the
// canonical form compared on the Rust side.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/docker/docker/api"
	"github.com/docker/docker/api/server/httputils"
	"github.com/docker/docker/api/server/middleware"
	"github.com/docker/docker/api/server/router"
	buildrouter "github.com/docker/docker/api/server/router/build"
	checkpointrouter "github.com/docker/docker/api/server/router/checkpoint"
	debugrouter "github.com/docker/docker/api/server/router/debug"
	distributionrouter "github.com/docker/docker/api/server/router/distribution"
	grpcrouter "github.com/docker/docker/api/server/router/grpc"
	imagerouter "github.com/docker/docker/api/server/router/image"
	sessionrouter "github.com/docker/docker/api/server/router/session"
	swarmrouter "github.com/docker/docker/api/server/router/swarm"
	"github.com/docker/docker/api/types"
	containertypes "github.com/docker/docker/api/types/container"
	networktypes "github.com/docker/docker/api/types/network"
	swarmtypes "github.com/docker/docker/api/types/swarm"
	volumetypes "github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/pkg/sysinfo"
	"github.com/docker/docker/runconfig"
	"github.com/gorilla/mux"
)

// versionMatcher is api/server's (server.go).
const versionMatcher = "/v{version:[0-9.]+}"

type input struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	Target  string            `json:"target"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Decoder string            `json:"decoder"`
}

type output struct {
	ID        string            `json:"id"`
	Outcome   string            `json:"outcome"`
	Method    string            `json:"method,omitempty"`
	Template  string            `json:"template,omitempty"`
	Vars      map[string]string `json:"vars,omitempty"`
	Version   string            `json:"version,omitempty"`
	Location  string            `json:"location,omitempty"`
	Error     string            `json:"error,omitempty"`
	Decoder   string            `json:"decoder,omitempty"`
	Decoded   json.RawMessage   `json:"decoded,omitempty"`
	DecodeErr string            `json:"decode_error,omitempty"`
	JSONCTErr string            `json:"json_content_type_error,omitempty"`
}

// hit is what the recording handler learnt about the matched route.
type hit struct {
	method, template string
	vars             map[string]string
	version          string
	versionErr       string
	experimental     bool
}

type hitKey struct{}

// route is one route definition: what router.Route says of itself.
type route struct {
	method, path string
	experimental bool
}

// routerSources lists the routers cmd/dockerd's initRouter (20.10) installs,
// in its order, each with the file that defines its routes. The network
// router is there because the daemon's network controller is enabled, grpc
// because the BuildKit backend registers with it.
var routerSources = []struct{ pkg, file string }{
	// "we need to add the checkpoint router before the container router or the DELETE gets masked"
	{"checkpoint", "checkpoint.go"},
	{"container", "container.go"},
	{"image", "image.go"},
	{"system", "system.go"},
	{"volume", "volume.go"},
	{"build", "build.go"},
	{"session", "session.go"},
	{"swarm", "cluster.go"},
	{"plugin", "plugin.go"},
	{"distribution", "distribution.go"},
	{"grpc", "grpc.go"},
	{"network", "network.go"},
}

// compiled are the routers whose packages build from what Debian ships (the
// container, system, volume, network and plugin routers need packages
// Debian does not package: libnetwork, tar-split, parts of BuildKit): their
// real Routes() check that the definitions read from source are exact.
func compiled() map[string]router.Router {
	features := map[string]bool{}
	return map[string]router.Router{
		"checkpoint":   checkpointrouter.NewRouter(nil, runconfig.ContainerDecoder{}),
		"image":        imagerouter.NewRouter(nil),
		"build":        buildrouter.NewRouter(nil, nil, &features),
		"session":      sessionrouter.NewRouter(nil),
		"swarm":        swarmrouter.NewRouter(nil),
		"distribution": distributionrouter.NewRouter(nil),
		"grpc":         grpcrouter.NewRouter(),
		"debug":        debugrouter.NewRouter(),
	}
}

// routesFromSource reads a router's route definitions from its Go source:
// every router.New{Get,Post,Put,Delete,Options,Head}Route call, in source
// order, experimental when router.Experimental is among its options.
func routesFromSource(file string) ([]route, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		return nil, err
	}
	methods := map[string]string{
		"NewGetRoute": "GET", "NewPostRoute": "POST", "NewPutRoute": "PUT",
		"NewDeleteRoute": "DELETE", "NewOptionsRoute": "OPTIONS", "NewHeadRoute": "HEAD",
	}
	var out []route
	var bad error
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !isIdent(sel.X, "router") {
			return true
		}
		method, known := methods[sel.Sel.Name]
		if !known {
			if strings.HasPrefix(sel.Sel.Name, "New") && bad == nil {
				bad = fmt.Errorf("%s: unhandled route constructor router.%s", fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			if bad == nil {
				bad = fmt.Errorf("%s: route path is not a literal", fset.Position(call.Pos()))
			}
			return true
		}
		path, err := strconv.Unquote(lit.Value)
		if err != nil {
			bad = err
			return true
		}
		r := route{method: method, path: path}
		for _, opt := range call.Args[2:] {
			if s, ok := opt.(*ast.SelectorExpr); ok && isIdent(s.X, "router") && s.Sel.Name == "Experimental" {
				r.experimental = true
			} else if bad == nil {
				bad = fmt.Errorf("%s: unhandled route option", fset.Position(opt.Pos()))
			}
		}
		out = append(out, r)
		return true
	})
	return out, bad
}

// routerDir is the api/server/router directory of the moby source this
// program was compiled from: where the compiled checkpoint router's code
// lives (read from the binary's own line table, so that the route
// definitions read from source are those of the packages linked in).
func routerDir() string {
	fn := runtime.FuncForPC(reflect.ValueOf(checkpointrouter.NewRouter).Pointer())
	file, _ := fn.FileLine(fn.Entry())
	return filepath.Dir(filepath.Dir(file))
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// routeSet returns the daemon's routes per router, in initRouter's order, and
// the debug router's, checking every compiled router against its source.
func routeSet() ([][]route, []route, error) {
	real := compiled()
	load := func(pkg, file string) ([]route, error) {
		rs, err := routesFromSource(filepath.Join(routerDir(), pkg, file))
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			return nil, fmt.Errorf("router %s: no routes in %s", pkg, file)
		}
		if r, ok := real[pkg]; ok {
			var want []route
			for _, x := range r.Routes() {
				_, exp := x.(router.ExperimentalRoute)
				want = append(want, route{x.Method(), x.Path(), exp})
			}
			if !reflect.DeepEqual(want, rs) {
				return nil, fmt.Errorf("router %s: routes read from %s %v differ from its Routes() %v", pkg, file, rs, want)
			}
		}
		return rs, nil
	}
	var all [][]route
	for _, s := range routerSources {
		rs, err := load(s.pkg, s.file)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, rs)
	}
	debug, err := load("debug", "debug.go")
	return all, debug, err
}

// newMux is api/server's createMux with recording handlers in place of the
// real ones; each handler runs the real version middleware first.
func newMux() (*mux.Router, int, error) {
	all, debug, err := routeSet()
	if err != nil {
		return nil, 0, err
	}
	vm := middleware.NewVersionMiddleware("20.10.24", api.DefaultVersion, api.MinVersion)
	handler := func(r route, template string) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			h := req.Context().Value(hitKey{}).(*hit)
			vars := mux.Vars(req)
			if vars == nil {
				vars = map[string]string{}
			}
			h.method, h.template, h.vars, h.experimental = r.method, template, vars, r.experimental
			err := vm.WrapHandler(func(ctx context.Context, _ http.ResponseWriter, _ *http.Request, _ map[string]string) error {
				h.version = httputils.VersionFromContext(ctx)
				return nil
			})(req.Context(), w, req, vars)
			if err != nil {
				h.versionErr = err.Error()
			}
		}
	}
	m := mux.NewRouter()
	n := 0
	for _, rs := range all {
		for _, r := range rs {
			f := handler(r, r.path)
			m.Path(versionMatcher + r.path).Methods(r.method).Handler(f)
			m.Path(r.path).Methods(r.method).Handler(f)
			n++
		}
	}
	for _, r := range debug {
		// createMux registers the debug routes without a method
		m.Path("/debug" + r.path).Handler(handler(route{"", "/debug" + r.path, false}, "/debug"+r.path))
		n++
	}
	notFound := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }
	m.HandleFunc(versionMatcher+"/{path:.*}", notFound)
	m.NotFoundHandler = http.HandlerFunc(notFound)
	m.MethodNotAllowedHandler = http.HandlerFunc(notFound)
	return m, n, nil
}

// decoderFor names the decoder the handler of a route uses ("" for none we model).
func decoderFor(method, template string) string {
	switch method + " " + template {
	case "POST /containers/create":
		return "container-create"
	case "POST /containers/{name:.*}/update":
		return "container-update"
	case "POST /containers/{name:.*}/exec":
		return "exec-create"
	case "POST /exec/{name:.*}/start":
		return "exec-start"
	case "POST /networks/create":
		return "network-create"
	case "POST /networks/{id:.*}/connect":
		return "network-connect"
	case "POST /networks/{id:.*}/disconnect":
		return "network-disconnect"
	case "POST /volumes/create":
		return "volume-create"
	case "POST /services/create", "POST /services/{id}/update":
		return "service-spec"
	case "POST /secrets/create", "POST /secrets/{id}/update":
		return "secret-spec"
	case "POST /configs/create", "POST /configs/{id}/update":
		return "config-spec"
	case "POST /auth":
		return "auth"
	}
	return ""
}

// containerDecoder is the daemon's (cmd/dockerd initRouter): its GetSysInfo
// returns the daemon's cached host information; without it DecodeConfig
// probes the host's cgroups on every call.
var containerDecoder = func() runconfig.ContainerDecoder {
	si := sysinfo.New(true)
	return runconfig.ContainerDecoder{GetSysInfo: func() *sysinfo.SysInfo { return si }}
}()

// decodeInto is what the handlers do: json.NewDecoder(r.Body).Decode(v).
func decodeInto(body []byte, v interface{}) error {
	return json.NewDecoder(bytes.NewReader(body)).Decode(v)
}

// createWire is a create body in its wire shape: Config's fields at the top.
type createWire struct {
	*containertypes.Config
	HostConfig       *containertypes.HostConfig     `json:"HostConfig"`
	NetworkingConfig *networktypes.NetworkingConfig `json:"NetworkingConfig"`
}

// decode runs one decoder on a body and returns the value to re-encode.
func decode(name string, body []byte) (interface{}, error) {
	switch name {
	case "container-create":
		c, hc, nc, err := containerDecoder.DecodeConfig(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		return createWire{c, hc, nc}, nil
	case "container-update":
		var v containertypes.UpdateConfig
		err := decodeInto(body, &v)
		return v, err
	case "exec-create":
		var v types.ExecConfig
		err := decodeInto(body, &v)
		return v, err
	case "exec-start":
		var v types.ExecStartCheck
		err := decodeInto(body, &v)
		return v, err
	case "network-create":
		var v types.NetworkCreateRequest
		err := decodeInto(body, &v)
		return v, err
	case "network-connect":
		var v types.NetworkConnect
		err := decodeInto(body, &v)
		return v, err
	case "network-disconnect":
		var v types.NetworkDisconnect
		err := decodeInto(body, &v)
		return v, err
	case "volume-create":
		var v volumetypes.VolumeCreateBody
		err := decodeInto(body, &v)
		return v, err
	case "service-spec":
		var v swarmtypes.ServiceSpec
		err := decodeInto(body, &v)
		return v, err
	case "secret-spec":
		var v swarmtypes.SecretSpec
		err := decodeInto(body, &v)
		return v, err
	case "config-spec":
		var v swarmtypes.ConfigSpec
		err := decodeInto(body, &v)
		return v, err
	case "auth":
		var v types.AuthConfig
		err := decodeInto(body, &v)
		return v, err
	}
	return nil, fmt.Errorf("unknown decoder %q", name)
}

func canonical(v interface{}) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSpace(buf.Bytes())), nil
}

func fillDecoded(out *output, name string, body []byte) {
	out.Decoder = name
	v, err := decode(name, body)
	if err != nil {
		out.DecodeErr = err.Error()
		return
	}
	raw, err := canonical(v)
	if err != nil {
		out.DecodeErr = "re-encoding: " + err.Error()
		return
	}
	out.Decoded = raw
}

func handle(m *mux.Router, in input) output {
	out := output{ID: in.ID}
	body, err := base64.StdEncoding.DecodeString(in.Body)
	if err != nil {
		out.Outcome, out.Error = "bad_input", "body is not base64: "+err.Error()
		return out
	}
	if in.Decoder != "" {
		out.Outcome = "decoded"
		fillDecoded(&out, in.Decoder, body)
		return out
	}
	// net/http's server reads the request target with url.ParseRequestURI
	// (readRequest), and refuses what does not parse.
	u, err := url.ParseRequestURI(in.Target)
	if err != nil || !strings.HasPrefix(u.Path, "/") && u.Path != "" {
		out.Outcome = "bad_request"
		if err != nil {
			out.Error = err.Error()
		}
		return out
	}
	req := &http.Request{
		Method:        in.Method,
		URL:           u,
		RequestURI:    in.Target,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Host:          "docker",
	}
	for k, v := range in.Headers {
		req.Header.Set(k, v)
	}
	h := &hit{}
	req = req.WithContext(context.WithValue(context.Background(), hitKey{}, h))
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	switch {
	case rec.Code == http.StatusMovedPermanently:
		out.Outcome, out.Location = "redirect", rec.Header().Get("Location")
		return out
	case h.template == "":
		out.Outcome = "not_found"
		return out
	}
	out.Method, out.Template, out.Vars = h.method, h.template, h.vars
	switch {
	case h.versionErr != "":
		out.Outcome, out.Error = "version", h.versionErr
		return out
	case h.experimental:
		out.Outcome = "experimental"
		return out
	}
	out.Outcome, out.Version = "routed", h.version
	if name := decoderFor(h.method, h.template); name != "" {
		if err := httputils.CheckForJSON(req); err != nil {
			out.JSONCTErr = err.Error()
		}
		fillDecoded(&out, name, body)
	}
	return out
}

func main() {
	list := flag.Bool("routes", false, "print the route table and exit")
	flag.Parse()
	m, n, err := newMux()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fdcs-oracle:", err)
		os.Exit(2)
	}
	if *list {
		all, debug, _ := routeSet()
		for _, rs := range all {
			for _, r := range rs {
				fmt.Printf("%s %s experimental=%v\n", r.method, r.path, r.experimental)
			}
		}
		for _, r := range debug {
			fmt.Printf("* /debug%s\n", r.path)
		}
		fmt.Fprintf(os.Stderr, "%d routes\n", n)
		return
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req input
			var out output
			if jerr := json.Unmarshal(line, &req); jerr != nil {
				out = output{Outcome: "bad_input", Error: jerr.Error()}
			} else {
				out = handle(m, req)
			}
			if eerr := enc.Encode(out); eerr != nil {
				fmt.Fprintln(os.Stderr, "fdcs-oracle:", eerr)
				os.Exit(1)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fdcs-oracle:", err)
			os.Exit(1)
		}
	}
}
