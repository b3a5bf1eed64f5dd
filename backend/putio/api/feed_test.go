package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFeedMessageKinds(t *testing.T) {
	for kind, want := range map[string]bool{
		"file_create": true, "file_update": true, "file_move": true, "file_delete": true,
		"mp4_update": false, "transfer_update": false, "transfers_count": false, "": false,
	} {
		m := FeedMessage{Type: kind}
		assert.Equal(t, want, m.IsFileEvent(), kind)
	}
}

func TestParseFeedItem(t *testing.T) {
	item, err := ParseFeedItem(json.RawMessage(`{"id": 7}`))
	require.NoError(t, err)
	assert.Equal(t, ID(7), *item.ID)
	assert.False(t, item.Placed(), "an id alone says nothing of where")

	item, err = ParseFeedItem(json.RawMessage(`{"id": "8", "parent_id": 0, "name": "a", "file_type": "FOLDER"}`))
	require.NoError(t, err)
	assert.True(t, item.Placed())
	assert.True(t, item.IsDir())

	item, err = ParseFeedItem(json.RawMessage(`{"id": 9, "parent_id": null, "name": "a", "content_type": "text/plain"}`))
	require.NoError(t, err)
	assert.False(t, item.Placed(), "a null parent is no place")
	assert.False(t, item.IsDir())

	item, err = ParseFeedItem(json.RawMessage(`{"id": 9, "parent_id": 3, "name": "a"}`))
	require.NoError(t, err)
	assert.False(t, item.Placed(), "without a type the item must be looked up")

	for _, bad := range []string{`{}`, `{"name": "x"}`, `[1]`, `"text"`, `{"id": "x"}`} {
		_, err := ParseFeedItem(json.RawMessage(bad))
		assert.Error(t, err, bad)
	}
}
