package putiotest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

func mustInject(t *testing.T, srv *putiotest.Server, f putiotest.Fault) {
	t.Helper()
	if err := srv.Inject(f); err != nil {
		t.Fatal(err)
	}
}

func TestFaultStatusTimes(t *testing.T) {
	srv, api := newAPI(t)
	mustInject(t, srv, putiotest.Fault{Route: "GET /v2/files/{id}", Status: 429, ErrorType: "TooManyRequests",
		Headers: map[string]string{"Retry-After": "7", "X-Ratelimit-Reset": "1700000000"}, Times: 2})
	for i := range 2 {
		r := api.get("/v2/files/0", nil)
		mustError(t, r, 429, "TooManyRequests")
		if r.header.Get("Retry-After") != "7" || r.header.Get("X-Ratelimit-Reset") != "1700000000" {
			t.Fatalf("try %d headers %v", i, r.header)
		}
	}
	mustStatus(t, api.get("/v2/files/0", nil), 200)
	// Other routes were never affected.
	mustStatus(t, api.get("/v2/files/list", nil), 200)
	if srv.Calls("GET /v2/files/{id}") != 3 {
		t.Fatalf("calls %v", srv.AllCalls())
	}
}

func TestFaultTrashLockTimeout(t *testing.T) {
	srv, api := newAPI(t)
	id := api.upload(0, "f", []byte("x"), nil)
	mustInject(t, srv, putiotest.Fault{Route: "POST /v2/files/delete", Status: 400, ErrorType: "TRASH_LOCK_TIMEOUT", Times: 1})
	mustError(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(id)}}), 400, "TRASH_LOCK_TIMEOUT")
	if _, err := srv.Account(api.token).Get(id); err != nil || len(srv.Account(api.token).Trash()) != 0 {
		t.Fatal("a faulted delete changed state")
	}
	mustStatus(t, api.post("/v2/files/delete", url.Values{"file_ids": {itoa(id)}}), 200)
}

// The same seed gives the same pattern of failures.
func TestFaultProbabilityIsSeeded(t *testing.T) {
	pattern := func() string {
		srv, api := newAPI(t)
		mustInject(t, srv, putiotest.Fault{Route: "*", Status: 503, Probability: 0.3, Seed: 42})
		var b strings.Builder
		for range 100 {
			if api.get("/v2/files/0", nil).status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, second := pattern(), pattern()
	if first != second {
		t.Fatalf("patterns differ:\n%s\n%s", first, second)
	}
	if n := strings.Count(first, "x"); n < 15 || n > 45 {
		t.Fatalf("%d of 100 failed at p=0.3", n)
	}
}

func TestFaultTokenScoped(t *testing.T) {
	srv, api := newAPI(t)
	mustInject(t, srv, putiotest.Fault{Token: "victim", Status: 500})
	mustStatus(t, api.get("/v2/files/0", nil), 200)
	victim := *api
	victim.token = "victim"
	mustError(t, victim.get("/v2/files/0", nil), 500, "Internal Server Error")
}

func TestFaultLatency(t *testing.T) {
	srv, api := newAPI(t)
	mustInject(t, srv, putiotest.Fault{Route: "GET /v2/account/info", Latency: 200 * time.Millisecond, Times: 1})
	mustTakeAtLeast(t, 200*time.Millisecond, func() { mustStatus(t, api.get("/v2/account/info", nil), 200) })
}

func TestFaultRawBodies(t *testing.T) {
	srv, api := newAPI(t)
	mustInject(t, srv, putiotest.Fault{Route: "GET /v2/files/{id}", Status: 502, Body: "<html>bad gateway</html>", ContentType: "text/html", Times: 1})
	resp := api.send("GET", "/v2/files/0", nil, nil)
	body, _ := io.ReadAll(resp.Body)
	closeBody(t, resp.Body)
	if resp.StatusCode != 502 || string(body) != "<html>bad gateway</html>" || resp.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}

	mustInject(t, srv, putiotest.Fault{Route: "GET /v2/files/{id}", Truncate: true, Times: 1})
	resp = api.send("GET", "/v2/files/0", nil, nil)
	body, err := io.ReadAll(resp.Body)
	closeBody(t, resp.Body)
	var v any
	if resp.StatusCode != 200 || err != nil || len(body) == 0 || json.Unmarshal(body, &v) == nil {
		t.Fatalf("truncated reply: %d %v %q", resp.StatusCode, err, body)
	}
	full := api.get("/v2/files/0", nil).raw
	if !bytes.HasPrefix(full, body) || len(body) != len(full)/2 {
		t.Fatalf("truncated body %q is not the first half of %q", body, full)
	}
}

func TestFaultCutResponse(t *testing.T) {
	srv, api := newAPI(t)
	data := bytes.Repeat([]byte("z"), 100000)
	id := api.upload(0, "f", data, nil)
	mustInject(t, srv, putiotest.Fault{Route: "GET /download/{id}", Cut: putiotest.CutResponse, CutAfter: 1000, Times: 1})
	u := api.get("/v2/files/"+itoa(id)+"/url", nil).body["url"].(string)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	closeBody(t, resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(got) != 1000 {
		t.Fatalf("read %d bytes, err %v; want 1000 and unexpected EOF", len(got), err)
	}
	if log := srv.Log(); log[len(log)-1].Status != putiotest.StatusCut {
		t.Fatalf("cut download logged as %d", log[len(log)-1].Status)
	}
	// The next download is whole.
	if _, body := api.download(id, nil); !bytes.Equal(body, data) {
		t.Fatal("second download differs")
	}
}

// A PATCH cut mid-body keeps the bytes that arrived, as tus expects, and
// the client gets no reply.
func TestFaultCutRequest(t *testing.T) {
	srv, api := newAPI(t)
	data := bytes.Repeat([]byte("abcd"), 50000)
	loc := api.tusCreate(len(data), map[string]string{"name": "f"})
	cutPatch(t, srv, api, loc, data, 4096)
	if log := srv.Log(); log[len(log)-1].Status != putiotest.StatusCut {
		t.Fatalf("cut PATCH logged as %d", log[len(log)-1].Status)
	}
	head := api.send("HEAD", loc, nil, nil)
	closeBody(t, head.Body)
	if head.Header.Get("Upload-Offset") != "4096" {
		t.Fatalf("offset after cut %q", head.Header.Get("Upload-Offset"))
	}
	r := api.tusPatch(loc, 4096, data[4096:])
	mustStatus(t, r, 204)
	if got, _ := srv.Account(api.token).ReadFile("f"); !bytes.Equal(got, data) {
		t.Fatal("resumed upload differs")
	}
}

// An after-work fault lets the request change state and loses only its
// reply: a 502 in its place, or a connection dropped before any byte.
func TestFaultAfterWork(t *testing.T) {
	srv, api := newAPI(t)
	acct := srv.Account(api.token)
	id := api.upload(0, "f", []byte("x"), nil)
	dir := api.mkdir(0, "d")
	mustInject(t, srv, putiotest.Fault{Route: "POST /v2/files/copy", AfterWork: true, Status: 502, Body: "<html>bad gateway</html>", ContentType: "text/html", Times: 1})
	resp := api.send("POST", "/v2/files/copy", strings.NewReader(url.Values{"file_id": {itoa(id)}, "parent_id": {itoa(dir)}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	body, _ := io.ReadAll(resp.Body)
	closeBody(t, resp.Body)
	if resp.StatusCode != 502 || string(body) != "<html>bad gateway</html>" {
		t.Fatalf("after-work copy replied %d %q", resp.StatusCode, body)
	}
	if got, err := acct.ReadFile("d/f"); err != nil || string(got) != "x" {
		t.Fatalf("the copy was not made: %q %v", got, err)
	}
	if log := srv.Log(); log[len(log)-1].Status != 502 {
		t.Fatalf("after-work copy logged as %d", log[len(log)-1].Status)
	}

	mustInject(t, srv, putiotest.Fault{Route: "POST /v2/files/delete", AfterWork: true, Cut: putiotest.CutResponse, Times: 1})
	req, _ := http.NewRequest("POST", srv.URL+"/v2/files/delete", strings.NewReader(url.Values{"file_ids": {itoa(id)}}.Encode()))
	req.Header.Set("Authorization", "Bearer "+api.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		closeBody(t, resp.Body)
		t.Fatalf("cut delete got a reply: %d", resp.StatusCode)
	}
	if _, err := acct.Stat("f"); err == nil || len(acct.Trash()) != 1 || acct.Trash()[0].ID != id {
		t.Fatalf("the delete was not done: trash %+v", acct.Trash())
	}
	if log := srv.Log(); log[len(log)-1].Status != putiotest.StatusCut {
		t.Fatalf("cut delete logged as %d", log[len(log)-1].Status)
	}
	// The faults fired once each.
	mustStatus(t, api.get("/v2/files/list", nil), 200)
}

func TestInjectValidates(t *testing.T) {
	srv, _ := newAPI(t)
	for _, f := range []putiotest.Fault{{Status: 42}, {Cut: "sideways"}, {Probability: 2}, {Times: -1}, {ErrorType: "TRASH_LOCK_TIMEOUT"}, {Body: "x"},
		{AfterWork: true}, {AfterWork: true, Status: 502, Cut: putiotest.CutResponse}, {AfterWork: true, Cut: putiotest.CutRequest},
		{AfterWork: true, Cut: putiotest.CutResponse, CutAfter: 10}, {AfterWork: true, Status: 502, Truncate: true}} {
		if srv.Inject(f) == nil {
			t.Errorf("Inject(%+v) accepted", f)
		}
	}
	// A misspelt route would never fire; it is refused by name.
	err := srv.Inject(putiotest.Fault{Route: "GET /v2/files/{file_id}", Status: 500})
	if err == nil || !strings.Contains(err.Error(), `"GET /v2/files/{file_id}"`) || !strings.Contains(err.Error(), "GET /v2/files/{id}") {
		t.Errorf("unknown route: %v", err)
	}
	for _, route := range []string{"", "*", "unknown", "PATCH /files/{upload}"} {
		if err := srv.Inject(putiotest.Fault{Route: route, Status: 500, Times: 1}); err != nil {
			t.Errorf("route %q: %v", route, err)
		}
	}
}

func TestRequestLog(t *testing.T) {
	srv, api := newAPI(t)
	mustInject(t, srv, putiotest.Fault{Route: "GET /v2/files/{id}/child", Status: 429, Times: 1})
	api.get("/v2/files/0/child", url.Values{"name": {"x y"}})
	time.Sleep(20 * time.Millisecond)
	api.get("/v2/files/0/child", url.Values{"name": {"x y"}})
	log := srv.Log()
	if len(log) != 2 {
		t.Fatalf("log %+v", log)
	}
	first, second := log[0], log[1]
	if first.Route != "GET /v2/files/{id}/child" || first.Method != "GET" || first.Status != 429 || first.TokenFingerprint != putiotest.TokenFingerprint(api.token) ||
		first.Path != "/v2/files/0/child?name=x+y" || second.Status != 404 {
		t.Fatalf("entries %+v %+v", first, second)
	}
	if gap := second.Time.Sub(first.Time); gap < 20*time.Millisecond {
		t.Fatalf("gap %v", gap)
	}
	srv.ResetCounters()
	if len(srv.Log()) != 0 || srv.Calls("GET /v2/files/{id}/child") != 0 || srv.TotalCalls() != 0 {
		t.Fatal("ResetCounters left data")
	}
}

func TestAdminRoute(t *testing.T) {
	srv, api := newAPI(t)
	admin := func(method, path, body string) reply {
		t.Helper()
		return api.read(api.send(method, "/_emulator/"+path, strings.NewReader(body), nil))
	}
	r := admin("POST", "faults", `[{"route":"GET /v2/account/info","status":503,"error_type":"Unavailable","times":1},
		{"route":"GET /v2/files/list","latency":"10ms","times":1}]`)
	mustStatus(t, r, 200)
	mustError(t, api.get("/v2/account/info", nil), 503, "Unavailable")
	mustStatus(t, api.get("/v2/account/info", nil), 200)
	mustStatus(t, api.get("/v2/files/list", nil), 200)

	r = admin("GET", "calls", "")
	calls := r.body["calls"].(map[string]any)
	if calls["GET /v2/account/info"] != float64(2) || calls["GET /v2/files/list"] != float64(1) || r.body["total"] != float64(3) {
		t.Fatalf("calls %s", r.raw)
	}
	r = admin("GET", "log", "")
	entries := r.body["log"].([]any)
	if len(entries) != 3 || entries[0].(map[string]any)["status"] != float64(503) || entries[0].(map[string]any)["route"] != "GET /v2/account/info" {
		t.Fatalf("log %s", r.raw)
	}
	mustStatus(t, admin("POST", "reset", ""), 200)
	if srv.TotalCalls() != 0 {
		t.Fatal("admin reset did not reset")
	}
	mustStatus(t, admin("POST", "faults", `{"status":500}`), 200)
	mustStatus(t, admin("DELETE", "faults", ""), 200)
	mustStatus(t, api.get("/v2/files/list", nil), 200)
	mustError(t, admin("POST", "faults", `{"status":"x"}`), 400, "BadRequest")
	mustError(t, admin("POST", "faults", `{"cut":"both"}`), 400, "BadRequest")
	mustError(t, admin("POST", "faults", `{"after_work":true}`), 400, "BadRequest")
	mustError(t, admin("GET", "nothing", ""), 404, "NotFound")
	mustStatus(t, admin("POST", "tokens?token=registered", ""), 200)
	if srv.Account("registered").UserID() == srv.Account(srv.Token).UserID() {
		t.Fatal("registered token shares an account")
	}
	// The admin API is not counted itself.
	if srv.TotalCalls() != 1 {
		t.Fatalf("calls %v", srv.AllCalls())
	}
}

func TestOnRequest(t *testing.T) {
	var mu sync.Mutex
	var seen []putiotest.LogEntry
	_, api := newAPI(t, putiotest.Options{OnRequest: func(e putiotest.LogEntry) {
		mu.Lock()
		seen = append(seen, e)
		mu.Unlock()
	}})
	api.get("/v2/files/0", nil)
	api.get("/v2/nope", nil)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Route != "GET /v2/files/{id}" || seen[0].Status != 200 || seen[1].Route != "unknown" || seen[1].Status != 404 {
		t.Fatalf("OnRequest saw %+v", seen)
	}
}

// A request is counted when it arrives: a client that has read a reply
// (a long download's last byte may reach it before the handler returns)
// always finds the request counted.
func TestCallsCountedOnArrival(t *testing.T) {
	srv, api := newAPI(t)
	hold := make(chan struct{})
	mustInject(t, srv, putiotest.Fault{Route: "GET /v2/files/{id}", Hold: hold, Times: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		api.get("/v2/files/0", nil)
	}()
	waitUntil(t, "a request in progress is counted", func() bool { return srv.Calls("GET /v2/files/{id}") > 0 })
	select {
	case <-done:
		t.Fatal("the request finished before the check; the held fault did not hold it")
	default:
	}
	close(hold)
	<-done
	if srv.Calls("GET /v2/files/{id}") != 1 || len(srv.Log()) != 1 {
		t.Fatalf("calls %v, log %v", srv.AllCalls(), srv.Log())
	}
}

// Calls, like Inject, refuses a name that is no route: a misspelt one
// would count zero and pass a test that expects no calls.
func TestCallsRefusesUnknownRoutes(t *testing.T) {
	srv, api := newAPI(t)
	mustStatus(t, api.get("/v2/files/list", nil), 200)
	if n := srv.Calls("GET /v2/files/list"); n != 1 {
		t.Fatalf("GET /v2/files/list counted %d", n)
	}
	if n := srv.Calls("unknown"); n != 0 {
		t.Fatalf("unknown counted %d", n)
	}
	for _, name := range []string{"GET /v2/files/lst", "GET /v2/files/{file_id}", "", "*"} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, strconv.Quote(name)) || !strings.Contains(msg, "GET /v2/files/list") {
					t.Errorf("Calls(%q) did not refuse the name: panic %q", name, msg)
				}
			}()
			srv.Calls(name)
		}()
	}
}
