// Package config loads and validates tools.yaml, the file that tells easel which
// ComfyUI server to talk to and which MCP tools to serve, each one a WebAssembly
// plugin.
//
// Everything is checked before anything starts: a file with problems is refused
// with every problem listed, one line each, in file order, each pointing at its line
// and at the value by path:
//
//	tools.yaml:3: comfyui.timeout: "30" is not a duration (use e.g. 30s)
//	tools.yaml:7: tools[0]: unknown key "plugn" (did you mean "plugin"?)
//	tools.yaml:9: tools[0].plugin: plugins/nope does not exist
//	tools.yaml:20: tools[3].name: duplicate tool name "get_queue" (first declared at tools.yaml:8)
//
// The same problems are available as values: the error is an [Errors], a list of
// [*Error] with Pos, Path and Msg.
//
// # The file
//
//	# yaml-language-server: $schema=./docs/tools.schema.json
//	comfyui:
//	  url: http://127.0.0.1:8188
//	  auth:
//	    header: Authorization
//	    scheme: Bearer
//	    token_env: COMFYUI_TOKEN
//	  timeout: 30s
//	  connect_timeout: 5s
//	  max_response_bytes: 64MiB
//	cache_dir: ""
//	tools:
//	  - name: get_job_status
//	    plugin: plugins/get_job_status
//	    config:
//	      any: thing
//
// Every key is optional except where noted. docs/configuration.md documents each
// for operators and docs/tools.schema.json describes them for editors (a test keeps
// both in step with the tables of schema.go); the documentation of each is also on
// the Go field it fills:
//
//   - comfyui.url ([ComfyUI].URL): absolute http or https URL, default
//     http://127.0.0.1:8188. The environment variable COMFYUI_URL, when set and not
//     empty, replaces it.
//   - comfyui.auth ([Auth]): for a ComfyUI behind an authenticating proxy. token_env
//     is required and names the environment variable holding the token, which must
//     be set and not empty; the token itself never goes in the file. header defaults
//     to Authorization, scheme to Bearer; scheme "" sends the token alone.
//   - comfyui.timeout, comfyui.connect_timeout: Go durations (30s, 1m30s), greater
//     than zero; defaults 30s and 5s.
//   - comfyui.max_response_bytes: a number of bytes or a number with a KiB, MiB or GiB
//     suffix; default 64MiB.
//   - cache_dir ([Config].CacheDir): default os.UserCacheDir()/easel. Relative to the
//     file's folder. The environment variable EASEL_CACHE_DIR, when set and not empty,
//     replaces it (relative to the working directory).
//   - watch ([Config].Watch): true or false, default true: whether `easel serve`
//     reloads the tools when this file or a plugin changes.
//   - tools ([Tool]): the MCP tools, in the order they are listed. name is required,
//     matches ^[a-zA-Z0-9_-]{1,64}$ and is unique. plugin is required: a .wasm file,
//     or a folder of Go source (package main) that easel builds, relative to the
//     file's folder. config is an optional mapping handed to the plugin as JSON.
//   - backends ([Backend]): several ComfyUI servers instead of comfyui. Each has a
//     unique name (^[a-zA-Z0-9_-]{1,32}$, no dots: it goes into prompt ids), a url,
//     the other comfyui keys, a weight (1 to 1000, default 1) and labels (a mapping).
//     A tool's backend_labels picks the backends its new jobs may go to; a label no
//     backend carries is an error at the tool. See docs/scaling.md.
//   - http ([HTTP]): settings of `easel serve --http`. token_env (a variable name)
//     or token_file (a path, relative to the file's folder) holds the bearer token
//     clients must send, at least 16 characters; allowed_hosts and allowed_origins
//     are lists of host names and scheme://host[:port] origins accepted besides
//     loopback ones; max_body_bytes is a byte size, default 24MiB. See
//     docs/security.md, "Inbound HTTP".
//
// Keys are checked strictly: an unknown key (with a suggestion when it is a likely
// typo), a duplicate key, or a value of the wrong shape is an error, so a misspelt
// setting never silently falls back to its default. Anchors and aliases work; merge
// keys (<<) do not.
//
// # Environment variables
//
// Every scalar value (not keys) may refer to environment variables, expanded before
// the value is checked, so `timeout: ${EASEL_TIMEOUT:-30s}` works:
//
//   - ${NAME} is the variable's value; an unset variable is an error at its line.
//   - ${NAME:-default} is the default when NAME is unset or empty.
//   - $$ is a literal $. Any other $ is kept as is.
//
// Expanded values are not expanded again. An unquoted value is typed after
// expansion, so in a tool's config `steps: ${STEPS:-20}` is the number 20; quote it
// ("${STEPS:-20}") to pass a string.
//
// Parse reads the environment only through the [Env] it is given (os.LookupEnv in
// production, [MapEnv] in tests), with one exception: the default cache folder comes
// from os.UserCacheDir.
//
// # Extending
//
// schema.go holds one function per mapping, each with a table of the keys it
// accepts. Adding a setting is adding a field to the Go type and one line to the
// table; see the comment at the top of that file.
package config
