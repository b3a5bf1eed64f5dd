package fusemount

import (
	"slices"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	text := `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
45 22 0:40 / /tmp/bench\040run/mnt rw,nosuid,nodev,relatime shared:30 master:2 - fuse.rclone bench: rw,user_id=0,group_id=0
garbage
`
	got := parseMountinfo(text)
	want := []entry{{Point: "/", FSType: "ext4"}, {Point: "/tmp/bench run/mnt", FSType: "fuse.rclone"}}
	if !slices.Equal(got, want) {
		t.Fatalf("parseMountinfo = %+v, want %+v", got, want)
	}
}
