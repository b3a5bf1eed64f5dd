package putio

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rclone-putio/rclone-putio/backend/putio/api"
	"github.com/stretchr/testify/assert"
)

// A reply whose payload is not needed must still be put.io's JSON object:
// a proxy's page with HTTP 200 is not a success.
func TestDecodeEmptyReply(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"status":"OK"}`, ""},
		{" \n{}", ""},
		{"<html>maintenance</html>", "malformed reply"},
		{`["OK"]`, "malformed reply"},
		{"null", "malformed reply"},
		{`{"status":"O`, errTruncated.Error()},
		{"", errTruncated.Error()},
	} {
		body, want := tc.body, tc.want
		resp := &http.Response{
			Request: httptest.NewRequest(http.MethodPost, "/v2/files/delete", nil),
			Body:    io.NopCloser(strings.NewReader(body)),
		}
		err := decodeReply(resp, &api.Empty{})
		if want == "" {
			assert.NoError(t, err, "body %q", body)
			continue
		}
		assert.ErrorContains(t, err, want, "body %q", body)
		assert.Equal(t, want == errTruncated.Error(), errors.Is(err, errTruncated), "body %q retried", body)
	}
}
