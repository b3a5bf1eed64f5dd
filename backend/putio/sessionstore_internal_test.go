package putio

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapSessions is a session store in memory, whose clock the test sets.
type mapSessions struct {
	mu      sync.Mutex
	now     time.Time
	records map[string]sessionRecord
}

func newMapSessions() *mapSessions {
	return &mapSessions{now: time.Now(), records: map[string]sessionRecord{}}
}

func (m *mapSessions) Get(key string) (*sessionRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[key]
	if !ok {
		return nil, errors.New("no such session")
	}
	return &r, nil
}

func (m *mapSessions) Put(key string, r *sessionRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	stored := *r
	stored.store, stored.key, stored.used = m, key, m.now
	m.records[key] = stored
	return nil
}

func (m *mapSessions) Delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, key)
	return nil
}

func (m *mapSessions) List() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.records)), nil
}

// An upload's session lives in whatever store the Fs has: an interrupted
// run leaves its URL there, the next run resumes from it and removes it.
func TestUploadSessionInMapStore(t *testing.T) {
	f, srv, acct := newTestFs(t, sessionOptions)
	store := newMapSessions()
	f.sessions = store
	data := pattern(sessionFileSize, 66)
	interruptedRun(t, f, srv, data)
	keys, _ := store.List()
	require.Len(t, keys, 1)
	r, _ := store.Get(keys[0])
	assert.Equal(t, "big.bin", r.Name)
	assert.NotEmpty(t, r.Location)

	resumesInNextRun(t, f, srv, acct, data)
	assert.Empty(t, store.records, "finished session forgotten")
}

// Pruning goes by when the store last put a record: a week unused is
// stale.
func TestSessionStorePrunedByLastPut(t *testing.T) {
	f, _, _ := newTestFs(t, sessionOptions)
	store := newMapSessions()
	f.sessions = store
	store.now = time.Now().Add(-sessionMaxAge - time.Hour)
	require.NoError(t, store.Put("stale", &sessionRecord{}))
	store.now = time.Now().Add(-sessionMaxAge + time.Hour)
	require.NoError(t, store.Put("old but used", &sessionRecord{}))

	pruneAgain(f)

	keys, _ := store.List()
	assert.Equal(t, []string{"old but used"}, keys)
}
