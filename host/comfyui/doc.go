// Package comfyui is the host's HTTP client for a ComfyUI server.
//
// It is deliberately small: it sends one request and hands back the status, content type and
// body, and leaves the meaning of the answer (a 400 with node errors, an empty history entry)
// to the caller. What it does own is everything that can go wrong before there is an answer to
// interpret, and it reports those cases as one error type, *Error, whose Kind tells a caller
// what to do next:
//
//   - Unreachable: nothing answered (refused, reset, DNS, dial timeout). Retrying later may help.
//   - Timeout: the server took longer than Config.Timeout or the caller's deadline.
//   - Cancelled: the caller cancelled the context; nobody needs to be told.
//   - TooLarge: the body exceeded Config.MaxResponseBytes; retrying will not help.
//   - Protocol: something answered, but not with a complete HTTP response.
//
// # Credentials
//
// Deployments put an authenticating proxy in front of ComfyUI (ComfyUI itself has no
// authentication), so Config.Header carries headers such as Authorization on every request.
// Those values, and any user information in the base URL, never appear in an error message,
// in Response.URL or in BaseURL: errors end up in logs and in answers to AI agents.
//
// # Paths
//
// Plugins choose request paths, so the host checks them with CheckPath before they reach Do:
// a path that could climb out of the base URL's path (for example through a reverse proxy that
// normalises "..") is refused, whatever its encoding.
package comfyui
