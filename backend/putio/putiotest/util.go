package putiotest

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// randomHex returns n random bytes as hex, for tokens, codes and upload ids.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
