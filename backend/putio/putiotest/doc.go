// Package putiotest is a put.io API emulator for tests, in the spirit of
// net/http/httptest: one call gives a running server, its URL and a token.
//
//	srv := putiotest.NewServer(t) // closed by t.Cleanup
//	acct := srv.Account(srv.Token)
//	acct.Put("docs/a.txt", []byte("hello"), modTime)
//	// point a client at srv.URL (API) and srv.UploadURL() (tus) ...
//	n := srv.Calls("GET /v2/files/{id}/child")
//	srv.Inject(putiotest.Fault{Route: "POST /v2/files/delete", Status: 400,
//		ErrorType: "TRASH_LOCK_TIMEOUT", Times: 1})
//
// One handler serves the API under /v2, tus uploads under /files/, signed
// downloads under /download/, put.io's real-time feed (a websocket at
// /socket/sockjs/websocket, see Server.FeedURL) and an admin API under
// /_emulator/ for other processes: GET calls, GET log, GET upload-bytes,
// POST reset, POST and DELETE faults (a Fault as JSON), POST tokens, POST
// feeds/drop. The admin API needs Options.AdminSecret when one is set and
// otherwise serves only requests from loopback that carry no relay
// header; it names tokens by TokenFingerprint, never in full, and the
// request log redacts credentials in paths and queries. New gives the bare handler for any
// listener; cmd/putio-emulator serves it from the command line, and
// prints an rclone remote on it (RemoteOptions):
//
//	putio-emulator -addr 127.0.0.1:0 -data-dir /tmp/putio
//	putio-emulator listening on http://127.0.0.1:41234
//
// Behaviour follows what is on record about put.io; where the record is
// silent the emulator takes the strictest plausible choice, with options to
// switch to alternatives (docs/architecture.md lists both, under "Emulator:
// choices where the record is silent"). Every route has a name,
// "METHOD /path/{var}" (the route table of docs/architecture.md), used by
// Calls, Log and Fault; Calls and Inject refuse a name that is no route.
//
// Each distinct token is its own account, created on first use, unless
// Options.Strict is set. A token is first-party (ScopeFull) or a
// third-party app token (ScopeApp), which put.io refuses on some routes;
// the OAuth flow gives app tokens unless Options.FirstPartyClients lists
// the client, and Account.NewToken adds tokens of either scope to an
// account. File bodies live on disk (Options.DataDir or a
// temporary directory), metadata in memory.
package putiotest
