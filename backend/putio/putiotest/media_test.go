package putiotest

import "testing"

// Natural order compares runs of digits by value and the rest without
// case, as put.io's next-file does ('_2_' before '_10_').
func TestNaturalOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		less bool
	}{
		{"episode_2_x.txt", "episode_10_x.txt", true},
		{"episode_10_x.txt", "episode_2_x.txt", false},
		{"ep02", "ep2", true}, // equal by value: the plain comparison decides
		{"ep2", "ep02", false},
		{"a.mp4", "B.mp4", true},
		{"Video 9", "video 10", true},
		{"x", "x1", true},
		{"x1", "x", false},
		{"é2", "é10", true},
		{"same", "same", false},
	} {
		if got := naturalLess(tc.a, tc.b); got != tc.less {
			t.Errorf("naturalLess(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.less)
		}
	}
}
